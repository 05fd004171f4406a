using System.Security.Claims;
using Microsoft.AspNetCore.Identity;
using TransferHub.Shared.Identity;
using TransferHub.Web.Features.Security;
using TransferHub.Web.Features.Users;

namespace TransferHub.Web.Features.Identity;

/// <summary>
/// Links an Entra ID sign-in to a local account (creating it on first sign-in) and makes the account's
/// roles equal to the Entra app roles that match ours; an Entra user without app roles keeps none. The security log gets
/// the sign-in, a first sign-in's new account and any role change Entra made, as it does for password accounts.
/// </summary>
public sealed class EntraUserProvisioner(IServiceScopeFactory scopes, SecurityLog security, TimeProvider clock)
{
    private static readonly string[] RoleClaimTypes = ["roles", ClaimTypes.Role];

    public async Task<AppUser> ProvisionAsync(ClaimsPrincipal external, CancellationToken ct, string? address = null)
    {
        var objectId = external.FindFirstValue("http://schemas.microsoft.com/identity/claims/objectidentifier")
            ?? external.FindFirstValue("oid")
            ?? external.FindFirstValue(ClaimTypes.NameIdentifier)
            ?? throw new UnauthorizedException("The Entra sign-in carried no object id.");
        var email = external.FindFirstValue("preferred_username") ?? external.FindFirstValue(ClaimTypes.Email)
            ?? external.FindFirstValue(ClaimTypes.Upn) ?? external.FindFirstValue("email")
            ?? throw new UnauthorizedException("The Entra sign-in carried no e-mail or user name.");
        var roles = external.Claims.Where(c => RoleClaimTypes.Contains(c.Type))
            .Select(c => AppRoles.Normalize(c.Value)).OfType<string>().Distinct().ToList();

        ct.ThrowIfCancellationRequested();
        await using var scope = scopes.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<AppUser>>();
        var user = await users.FindByLoginAsync(EntraOptions.Scheme, objectId) ?? await users.FindByEmailAsync(email);
        if (user is null)
        {
            user = new AppUser
            {
                UserName = email, Email = email, EmailConfirmed = true, CreatedAt = clock.GetUtcNow(),
                DisplayName = external.FindFirstValue("name") ?? external.FindFirstValue(ClaimTypes.Name),
            };
            UserService.ThrowIfFailed(await users.CreateAsync(user));
            await security.RecordAsync(SecurityEventKind.AccountCreated, null, user.Id, email, address, "first Entra ID sign-in", ct);
        }
        if ((await users.GetLoginsAsync(user)).All(l => l.LoginProvider != EntraOptions.Scheme))
        {
            UserService.ThrowIfFailed(await users.AddLoginAsync(user, new UserLoginInfo(EntraOptions.Scheme, objectId, EntraOptions.DisplayName)));
        }
        var current = await users.GetRolesAsync(user);
        UserService.ThrowIfFailed(await users.RemoveFromRolesAsync(user, current.Except(roles)));
        UserService.ThrowIfFailed(await users.AddToRolesAsync(user, roles.Except(current)));
        if (!current.Order().SequenceEqual(roles.Order()))
        {
            await security.RecordAsync(SecurityEventKind.RolesChanged, null, user.Id, email, address,
                $"{Describe(current)} → {Describe(roles)} (Entra app roles)", ct);
        }
        await security.RecordAsync(SecurityEventKind.SignedIn, user.Id, user.Id, email, address, "Entra ID", ct);
        return user;
    }

    private static string Describe(IEnumerable<string> roles) => roles.Any() ? string.Join(", ", roles.Order()) : "none";
}
