using System.Net.Http.Json;
using System.Security.Claims;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;
using TransferHub.Shared.Identity;
using TransferHub.Tests.Unit.Integration;
using TransferHub.Web.Features.Identity;

namespace TransferHub.Tests.Unit.Web.Identity;

public sealed class EntraSignInTests(TransferHubFactory factory) : IClassFixture<TransferHubFactory>
{
    private static ClaimsPrincipal EntraUser(string oid, string email, params string[] roles) => new(new ClaimsIdentity(
        [new Claim("oid", oid), new Claim("preferred_username", email), new Claim("name", "Grace Hopper"),
            .. roles.Select(r => new Claim("roles", r))], "Entra"));

    [Fact]
    public async Task FirstSignInCreatesALinkedAccountWithTheMatchingAppRoles()
    {
        var provisioner = factory.Services.GetRequiredService<EntraUserProvisioner>();
        var oid = Guid.NewGuid().ToString();

        var user = await provisioner.ProvisionAsync(EntraUser(oid, $"{oid[..8]}@contoso.test", "Scientist", "approver", "SomethingElse"), CancellationToken.None);

        await using var scope = factory.Services.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<AppUser>>();
        (await users.GetRolesAsync(user)).Order().ShouldBe([AppRoles.Approver, AppRoles.Scientist]);
        (await users.FindByLoginAsync(EntraOptions.Scheme, oid))!.Id.ShouldBe(user.Id);
        user.DisplayName.ShouldBe("Grace Hopper");
    }

    [Fact]
    public async Task LaterSignInsFollowRoleChangesMadeInEntra()
    {
        var provisioner = factory.Services.GetRequiredService<EntraUserProvisioner>();
        var oid = Guid.NewGuid().ToString();
        var email = $"{oid[..8]}@contoso.test";
        await provisioner.ProvisionAsync(EntraUser(oid, email, "Admin", "Labeler"), CancellationToken.None);

        var again = await provisioner.ProvisionAsync(EntraUser(oid, email, "Labeler"), CancellationToken.None, "203.0.113.9");

        await using var scope = factory.Services.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<AppUser>>();
        (await users.GetRolesAsync(again)).ShouldBe([AppRoles.Labeler]);
        users.Users.Count(u => u.Email == email).ShouldBe(1);
        // Entra sign-ins reach the security log like password ones: the new account, each sign-in, the roles Entra changed.
        var log = (await factory.AdminClient().GetFromJsonAsync<List<SecurityEventDto>>("/api/admin/security-log?take=1000", TransferHub.Tests.Unit.Integration.Json.Options))!
            .Where(e => e.Subject == email).Select(e => (e.Kind, e.Detail)).ToList();
        log.ShouldContain((SecurityEventKind.AccountCreated, "first Entra ID sign-in"));
        log.Count(e => e == (SecurityEventKind.SignedIn, "Entra ID")).ShouldBe(2);
        log.ShouldContain((SecurityEventKind.RolesChanged, "Admin, Labeler → Labeler (Entra app roles)"));
        log.ShouldContain((SecurityEventKind.RolesChanged, "none → Admin, Labeler (Entra app roles)"));
    }

    [Fact]
    public async Task SignInWithoutAnObjectIdIsRefused()
    {
        var provisioner = factory.Services.GetRequiredService<EntraUserProvisioner>();
        var principal = new ClaimsPrincipal(new ClaimsIdentity([new Claim("preferred_username", "x@contoso.test")], "Entra"));

        await Should.ThrowAsync<UnauthorizedException>(() => provisioner.ProvisionAsync(principal, CancellationToken.None));
    }

    [Fact]
    public async Task ConfiguringAzureAdAddsTheEntraSchemeAndTheSignInButton()
    {
        using var withEntra = factory.WithWebHostBuilder(b => b
            .UseSetting("AzureAd:Instance", "https://login.microsoftonline.com/")
            .UseSetting("AzureAd:TenantId", "00000000-0000-0000-0000-000000000001")
            .UseSetting("AzureAd:ClientId", "00000000-0000-0000-0000-000000000002"));

        var schemes = withEntra.Services.GetRequiredService<IAuthenticationSchemeProvider>();
        var login = await withEntra.CreateClient().GetStringAsync("/Account/Login");

        (await schemes.GetSchemeAsync(EntraOptions.Scheme)).ShouldNotBeNull();
        login.ShouldContain("Sign in with Microsoft");
        (await factory.CreateClient().GetStringAsync("/Account/Login")).ShouldNotContain("Sign in with Microsoft");
    }
}
