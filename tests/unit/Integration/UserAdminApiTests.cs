using System.Net;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Mvc;
using TransferHub.Shared.Identity;
using TransferHub.Shared.Tokens;

namespace TransferHub.Tests.Unit.Integration;

/// <summary>Issue 17's Users page papercuts through the API: disable and enable accounts, reset a password, plain error words.</summary>
public sealed class UserAdminApiTests(TransferHubFactory factory) : IClassFixture<TransferHubFactory>
{
    private const string Password = "User-Passw0rd!";

    private static string Email() => $"u{Guid.NewGuid():N}"[..12] + "@example.test";

    private Task<HttpResponseMessage> SignInAsync(string email, string password) =>
        factory.CreateClient().PostAsJsonAsync("/api/auth/token", new PasswordTokenRequest(email, password, null, null));

    [Fact]
    public async Task ADisabledAccountCannotSignInNorUseItsTokensUntilEnabled()
    {
        var email = Email();
        var (userId, user) = await factory.CreateUserAsync(email, AppRoles.Scientist);
        var admin = factory.AdminClient();

        var disabled = await admin.PostAsync($"/api/users/{userId}/disable", null);

        disabled.StatusCode.ShouldBe(HttpStatusCode.OK);
        var dto = (await disabled.Content.ReadFromJsonAsync<UserDto>(Json.Options))!;
        (dto.Disabled, dto.LockedOut).ShouldBe((true, false));
        (await user.GetAsync("/api/projects")).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        (await SignInAsync(email, Password)).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        (await admin.GetFromJsonAsync<List<UserDto>>("/api/users", Json.Options))!.Single(u => u.Email == email).Disabled.ShouldBeTrue();

        (await admin.PostAsync($"/api/users/{userId}/enable", null)).StatusCode.ShouldBe(HttpStatusCode.OK);

        (await user.GetAsync("/api/projects")).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await SignInAsync(email, Password)).StatusCode.ShouldBe(HttpStatusCode.Created);
        var log = (await admin.GetFromJsonAsync<List<SecurityEventDto>>("/api/admin/security-log?take=1000", Json.Options))!.Where(e => e.Subject == email).Select(e => e.Kind).ToList();
        log.ShouldContain(SecurityEventKind.AccountDisabled);
        log.ShouldContain(SecurityEventKind.AccountEnabled);
    }

    [Fact]
    public async Task AnAdminSetsANewPasswordUnderThePasswordRulesInPlainWords()
    {
        var email = Email();
        var (userId, _) = await factory.CreateUserAsync(email, AppRoles.Labeler);
        var admin = factory.AdminClient();

        var weak = await admin.PutAsJsonAsync($"/api/users/{userId}/password", new ResetPasswordRequest("short"));
        var reset = await admin.PutAsJsonAsync($"/api/users/{userId}/password", new ResetPasswordRequest("Another-Passw0rd!"));

        weak.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        var problem = (await weak.Content.ReadFromJsonAsync<ValidationProblemDetails>())!;
        problem.Errors["password"].ShouldContain("The password needs at least 10 characters.");
        reset.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await SignInAsync(email, Password)).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        (await SignInAsync(email, "Another-Passw0rd!")).StatusCode.ShouldBe(HttpStatusCode.Created);
        (await admin.GetFromJsonAsync<List<SecurityEventDto>>("/api/admin/security-log?kind=PasswordReset", Json.Options))!
            .ShouldContain(e => e.Subject == email);
    }

    [Fact]
    public async Task NoAdminDisablesThemselvesAndNoOneElseManagesAccounts()
    {
        var admin = factory.AdminClient();
        var me = await admin.GetFromJsonAsync<System.Text.Json.JsonElement>("/api/me");
        var (userId, scientist) = await factory.CreateUserAsync(Email(), AppRoles.Scientist);
        var duplicate = await admin.PostAsJsonAsync("/api/users", new CreateUserRequest(TransferHubFactory.AdminEmail, Password, null, null));

        (await admin.PostAsync($"/api/users/{me.GetProperty("id").GetString()}/disable", null)).StatusCode.ShouldBe(HttpStatusCode.Conflict);
        (await scientist.PostAsync($"/api/users/{userId}/disable", null)).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await scientist.PostAsync($"/api/users/{userId}/enable", null)).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await scientist.PutAsJsonAsync($"/api/users/{userId}/password", new ResetPasswordRequest("Another-Passw0rd!"))).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await admin.PostAsync($"/api/users/{Guid.NewGuid()}/disable", null)).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        duplicate.StatusCode.ShouldBe(HttpStatusCode.Conflict);
        (await duplicate.Content.ReadFromJsonAsync<ProblemDetails>())!.Detail.ShouldBe("An account with this e-mail address already exists.");
    }
}
