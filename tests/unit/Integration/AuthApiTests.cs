using Microsoft.Extensions.DependencyInjection;
using System.Net;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Mvc;
using TransferHub.Shared.Identity;
using TransferHub.Shared.Tokens;

namespace TransferHub.Tests.Unit.Integration;

public sealed class AuthApiTests(TransferHubFactory factory) : IClassFixture<TransferHubFactory>
{
    private static string Email() => $"u{Guid.NewGuid():N}"[..12] + "@example.test";

    [Fact]
    public async Task AnonymousApiCallIs401ProblemNotARedirect()
    {
        var client = factory.CreateClient(new() { AllowAutoRedirect = false });

        var response = await client.GetAsync("/api/projects");

        response.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("application/problem+json");
    }

    [Fact]
    public async Task SignOutWithoutTheFormsAntiforgeryTokenIsRefused()
    {
        // A signed-in caller (here by token, which passes authorization the way a cookie would) posting what a form on
        // another site would send: no antiforgery token. Before, this signed the person out (a 302 to the sign-in page).
        var client = factory.ClientWithToken(TransferHubFactory.AdminToken);

        var response = await client.PostAsync("/Account/Logout", new FormUrlEncodedContent([]));

        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task UnknownTokenIs401WithReason()
    {
        var response = await factory.ClientWithToken("thp_not-a-real-token").GetAsync("/api/projects");

        response.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        response.Headers.WwwAuthenticate.ToString().ShouldContain("invalid_token");
        (await response.Content.ReadFromJsonAsync<ProblemDetails>())!.Detail.ShouldBe("The token is not valid.");
    }

    [Fact]
    public async Task WrongPasswordIs401Problem()
    {
        var email = Email();
        await factory.CreateUserAsync(email, AppRoles.Labeler);

        var response = await factory.CreateClient().PostAsJsonAsync("/api/auth/token", new PasswordTokenRequest(email, "wrong-password", null, null));

        response.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        (await response.Content.ReadFromJsonAsync<ProblemDetails>())!.Detail.ShouldBe("Wrong e-mail or password.");
    }

    [Fact]
    public async Task RepeatedWrongPasswordsLockTheAccountAndItsTokens()
    {
        var email = Email();
        var (_, userClient) = await factory.CreateUserAsync(email, AppRoles.Labeler);
        var anonymous = factory.CreateClient();

        for (var i = 0; i < 5; i++)
        {
            await anonymous.PostAsJsonAsync("/api/auth/token", new PasswordTokenRequest(email, "wrong-password", null, null));
        }
        var rightPassword = await anonymous.PostAsJsonAsync("/api/auth/token", new PasswordTokenRequest(email, "User-Passw0rd!", null, null));
        var withToken = await userClient.GetAsync("/api/projects");

        rightPassword.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        (await rightPassword.Content.ReadFromJsonAsync<ProblemDetails>())!.Detail!.ShouldContain("locked");
        withToken.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        (await withToken.Content.ReadFromJsonAsync<ProblemDetails>())!.Detail.ShouldBe("The token's account is locked out.");
        var users = await factory.AdminClient().GetFromJsonAsync<List<UserDto>>("/api/users", Json.Options);
        var locked = users!.Single(u => u.Email == email);
        locked.LockedOut.ShouldBeTrue();

        var unlocked = await factory.AdminClient().PostAsync($"/api/users/{locked.Id}/unlock", null);
        var again = await anonymous.PostAsJsonAsync("/api/auth/token", new PasswordTokenRequest(email, "User-Passw0rd!", null, null));

        (await unlocked.Content.ReadFromJsonAsync<UserDto>(Json.Options))!.LockedOut.ShouldBeFalse();
        again.StatusCode.ShouldBe(HttpStatusCode.Created);
        (await userClient.GetAsync("/api/projects")).StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task RevokedTokenIs401()
    {
        var (_, client) = await factory.CreateUserAsync(Email(), AppRoles.Scientist);
        var created = await client.PostAsJsonAsync("/api/tokens", new CreateTokenRequest("ci", 7));
        var token = (await created.Content.ReadFromJsonAsync<CreatedTokenDto>(Json.Options))!;
        var second = factory.ClientWithToken(token.Token);
        (await second.GetAsync("/api/projects")).StatusCode.ShouldBe(HttpStatusCode.OK);

        (await client.DeleteAsync($"/api/tokens/{token.Info.Id}")).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        var after = await second.GetAsync("/api/projects");

        after.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        (await after.Content.ReadFromJsonAsync<ProblemDetails>())!.Detail.ShouldBe("The token has been revoked.");
    }

    [Fact]
    public async Task TokensAreShownOnceAndStoredHashed()
    {
        var (_, client) = await factory.CreateUserAsync(Email(), AppRoles.Scientist);

        var created = await client.PostAsJsonAsync("/api/tokens", new CreateTokenRequest("laptop", null));
        var token = (await created.Content.ReadFromJsonAsync<CreatedTokenDto>(Json.Options))!;
        var listed = await client.GetStringAsync("/api/tokens");

        token.Token.ShouldStartWith("thp_");
        token.Token.Length.ShouldBeGreaterThan(40);
        listed.ShouldNotContain(token.Token);
        listed.ShouldContain(token.Info.Prefix);
        await using var scope = factory.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<TransferHub.Web.Data.AppDbContext>();
        var stored = db.ApiTokens.Single(t => t.Id == token.Info.Id);
        stored.Hash.ShouldBe(TransferHub.Shared.Common.Hashing.Sha256Hex(token.Token));
        db.ApiTokens.ShouldNotContain(t => t.Hash == token.Token);
    }

    [Fact]
    public async Task TokenLifetimeOverTheLimitIsRejected()
    {
        var response = await factory.AdminClient().PostAsJsonAsync("/api/tokens", new CreateTokenRequest("forever", 5000));

        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task WorkerTokenReachesWorkerRoutesOnly()
    {
        var created = await factory.AdminClient().PostAsJsonAsync("/api/admin/worker-tokens", new CreateTokenRequest("gpu-1", 0));
        created.StatusCode.ShouldBe(HttpStatusCode.Created);
        var token = (await created.Content.ReadFromJsonAsync<CreatedTokenDto>(Json.Options))!;
        var worker = factory.ClientWithToken(token.Token);

        var me = await worker.GetAsync("/api/worker/me");
        var projects = await worker.GetAsync("/api/projects");

        token.Token.ShouldStartWith("thw_");
        token.Info.ExpiresAt.ShouldBeNull();
        me.StatusCode.ShouldBe(HttpStatusCode.OK);
        projects.StatusCode.ShouldBe(HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task PersonalTokenCannotUseWorkerRoutes()
    {
        var response = await factory.AdminClient().GetAsync("/api/worker/me");

        response.StatusCode.ShouldBe(HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task NonAdminCannotManageUsersOrWorkerTokens()
    {
        var (_, scientist) = await factory.CreateUserAsync(Email(), AppRoles.Scientist);

        (await scientist.GetAsync("/api/users")).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await scientist.PostAsJsonAsync("/api/admin/worker-tokens", new CreateTokenRequest("x", 1))).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await scientist.PostAsJsonAsync("/api/users", new CreateUserRequest(Email(), "User-Passw0rd!", null, [AppRoles.Admin]))).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task UnknownRoleAndWeakPasswordAreValidationProblems()
    {
        var admin = factory.AdminClient();

        var badRole = await admin.PostAsJsonAsync("/api/users", new CreateUserRequest(Email(), "User-Passw0rd!", null, ["Wizard"]));
        var weak = await admin.PostAsJsonAsync("/api/users", new CreateUserRequest(Email(), "short", null, null));

        badRole.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        weak.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await weak.Content.ReadFromJsonAsync<ValidationProblemDetails>())!.Errors.ShouldContainKey("password");
    }

    [Fact]
    public async Task AdminCannotDropOwnAdminRole()
    {
        var admin = factory.AdminClient();
        var me = await admin.GetFromJsonAsync<System.Text.Json.JsonElement>("/api/me");

        var response = await admin.PutAsJsonAsync($"/api/users/{me.GetProperty("id").GetString()}/roles", new SetRolesRequest([AppRoles.Scientist]));

        response.StatusCode.ShouldBe(HttpStatusCode.Conflict);
    }
}

public sealed class TokenExpiryTests : IClassFixture<TransferHubFactory>
{
    private readonly TransferHubFactory _factory;

    public TokenExpiryTests(TransferHubFactory factory) => _factory = factory;

    [Fact]
    public async Task ExpiredTokenIs401WithReason()
    {
        var created = await _factory.AdminClient().PostAsJsonAsync("/api/tokens", new CreateTokenRequest("short-lived", 1));
        var token = (await created.Content.ReadFromJsonAsync<CreatedTokenDto>(Json.Options))!;
        var client = _factory.ClientWithToken(token.Token);
        (await client.GetAsync("/api/projects")).StatusCode.ShouldBe(HttpStatusCode.OK);

        _factory.Clock.Advance(TimeSpan.FromDays(1) + TimeSpan.FromSeconds(1));
        var after = await client.GetAsync("/api/projects");

        after.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        (await after.Content.ReadFromJsonAsync<ProblemDetails>())!.Detail.ShouldBe("The token has expired.");
    }
}
