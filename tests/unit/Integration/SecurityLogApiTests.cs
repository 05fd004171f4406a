using System.Net;
using System.Net.Http.Json;
using TransferHub.Shared.Identity;
using TransferHub.Shared.Tokens;

namespace TransferHub.Tests.Unit.Integration;

/// <summary>Sign-ins, failures, accounts, roles and tokens land in the security log, which only Admins can read.</summary>
public sealed class SecurityLogApiTests(TransferHubFactory factory) : IClassFixture<TransferHubFactory>
{
    private Task<List<SecurityEventDto>?> LogAsync(string query = "") =>
        factory.AdminClient().GetFromJsonAsync<List<SecurityEventDto>>($"/api/admin/security-log{query}", Json.Options);

    [Fact]
    public async Task AccountsRolesTokensAndSignInsAreLoggedWithWhoAndWhere()
    {
        var email = $"{Guid.NewGuid():N}@example.test";
        var anonymous = factory.CreateClient();
        (await anonymous.PostAsJsonAsync("/api/auth/token", new PasswordTokenRequest("ghost@example.test", "Wrong-Passw0rd!", "x", null)))
            .StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        var (userId, client) = await factory.CreateUserAsync(email, AppRoles.Labeler);
        (await anonymous.PostAsJsonAsync("/api/auth/token", new PasswordTokenRequest(email, "Wrong-Passw0rd!", "x", null)))
            .StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        (await factory.AdminClient().PutAsJsonAsync($"/api/users/{userId}/roles", new SetRolesRequest([AppRoles.Labeler, AppRoles.Scientist])))
            .EnsureSuccessStatusCode();
        var created = await (await client.PostAsJsonAsync("/api/tokens", new CreateTokenRequest("laptop", 7))).Content.ReadFromJsonAsync<CreatedTokenDto>(Json.Options);
        (await client.DeleteAsync($"/api/tokens/{created!.Info.Id}")).EnsureSuccessStatusCode();

        var log = (await LogAsync())!;

        log.Select(e => e.Sequence).ShouldBeInOrder(SortDirection.Descending);
        log.ShouldContain(e => e.Kind == SecurityEventKind.SignInFailed && e.Subject == "ghost@example.test" && e.SubjectId == null
            && e.Detail.Contains("no such account"));
        var mine = log.Where(e => e.SubjectId == userId).OrderBy(e => e.Sequence).ToList();
        mine.Select(e => e.Kind).ShouldBe([SecurityEventKind.AccountCreated, SecurityEventKind.SignedIn, SecurityEventKind.TokenCreated,
            SecurityEventKind.SignInFailed, SecurityEventKind.RolesChanged, SecurityEventKind.TokenCreated, SecurityEventKind.TokenRevoked]);
        mine[0].Actor.ShouldBe(TransferHubFactory.AdminEmail);
        mine[3].Detail.ShouldContain("wrong password");
        mine[4].Detail.ShouldBe("Labeler → Labeler, Scientist");
        mine[6].Subject.ShouldBe("laptop");
        mine[6].Actor.ShouldBe(email);
        (await LogAsync("?kind=RolesChanged"))!.ShouldAllBe(e => e.Kind == SecurityEventKind.RolesChanged);
    }

    [Fact]
    public async Task OnlyAdminsReadTheLog()
    {
        var (_, scientist) = await factory.CreateUserAsync($"{Guid.NewGuid():N}@example.test", AppRoles.Scientist);

        (await scientist.GetAsync("/api/admin/security-log")).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await factory.CreateClient().GetAsync("/api/admin/security-log")).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
    }
}
