using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using TransferHub.Shared.Identity;
using TransferHub.Web.Data;
using TransferHub.Web.Features.Identity;
using TransferHub.Web.Infrastructure;
using TransferHub.Web.Features.Security;

namespace TransferHub.Web.Features.Users;

/// <summary>Account administration. Singleton: each call gets its own scope, so a Blazor circuit never holds a DbContext.</summary>
public sealed class UserService(IServiceScopeFactory scopes, IDbContextFactory<AppDbContext> dbFactory, TimeProvider clock, SecurityLog security) : IUserDirectory
{
    /// <param name="actorId">The admin who creates it; null for the first admin (setup page or Bootstrap settings).</param>
    public async Task<UserDto> CreateAsync(CreateUserRequest request, CancellationToken ct, string? actorId = null)
    {
        var roles = NormalizeRoles(request.Roles ?? []);
        ct.ThrowIfCancellationRequested();
        await using var scope = scopes.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<AppUser>>();
        var email = request.Email?.Trim() ?? "";
        var user = new AppUser { UserName = email, Email = email, EmailConfirmed = true, DisplayName = request.DisplayName?.Trim(), CreatedAt = clock.GetUtcNow() };
        ThrowIfFailed(await users.CreateAsync(user, request.Password ?? ""));
        if (roles.Count > 0)
        {
            ThrowIfFailed(await users.AddToRolesAsync(user, roles));
        }
        await security.RecordAsync(SecurityEventKind.AccountCreated, actorId, user.Id, email, null, $"roles: {Describe(roles)}", ct);
        return await ToDtoAsync(users, user);
    }

    public async Task<IReadOnlyDictionary<string, string>> EmailsAsync(IReadOnlyCollection<string> userIds, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.Users.Where(u => userIds.Contains(u.Id)).ToDictionaryAsync(u => u.Id, u => u.Email ?? u.Id, ct);
    }

    public async Task<IReadOnlyList<string>> UserIdsInRoleAsync(string role, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.UserRoles.Where(ur => db.Roles.Any(r => r.Id == ur.RoleId && r.Name == role)).Select(ur => ur.UserId).ToListAsync(ct);
    }

    private static string Describe(IEnumerable<string> roles) => roles.Any() ? string.Join(", ", roles.Order()) : "none";

    public async Task<IReadOnlyList<UserDto>> ListAsync(CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var users = await db.Users.AsNoTracking().ToListAsync(ct);
        var roles = await (from ur in db.UserRoles join r in db.Roles on ur.RoleId equals r.Id select new { ur.UserId, r.Name }).ToListAsync(ct);
        var now = clock.GetUtcNow();
        return [.. users.OrderBy(u => u.Email).Select(u => new UserDto(
            u.Id, u.Email ?? "", u.DisplayName,
            [.. roles.Where(r => r.UserId == u.Id).Select(r => r.Name!).Order()],
            u.LockoutEnd > now && u.LockoutEnd < DisabledUntil, u.CreatedAt, u.LockoutEnd >= DisabledUntil))];
    }

    /// <summary>A disabled account is locked out until then: Identity and token sign-in already refuse a locked account.</summary>
    private static readonly DateTimeOffset DisabledUntil = new(9999, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>Disables an account: it cannot sign in, its tokens stop working, its open sessions end at their next check.</summary>
    public async Task<UserDto> DisableAsync(string userId, string actorId, CancellationToken ct)
    {
        if (userId == actorId)
        {
            throw new ConflictException("You cannot disable your own account; ask another admin.");
        }
        return await ChangeAsync(userId, SecurityEventKind.AccountDisabled, "disabled", async (users, user) =>
        {
            ThrowIfFailed(await users.SetLockoutEnabledAsync(user, true));
            ThrowIfFailed(await users.SetLockoutEndDateAsync(user, DisabledUntil));
            ThrowIfFailed(await users.UpdateSecurityStampAsync(user)); // cookies issued before are refused at their next validation
        }, actorId, ct);
    }

    /// <summary>Enables a disabled account again (and forgets failed sign-ins).</summary>
    public Task<UserDto> EnableAsync(string userId, string actorId, CancellationToken ct) =>
        ChangeAsync(userId, SecurityEventKind.AccountEnabled, "enabled", LiftLockoutAsync, actorId, ct);

    private static async Task LiftLockoutAsync(UserManager<AppUser> users, AppUser user)
    {
        ThrowIfFailed(await users.SetLockoutEndDateAsync(user, null));
        ThrowIfFailed(await users.ResetAccessFailedCountAsync(user));
    }

    /// <summary>Sets a new password (the password rules apply); sessions signed in with the old one end at their next check.</summary>
    public Task<UserDto> ResetPasswordAsync(string userId, string password, string actorId, CancellationToken ct) =>
        ChangeAsync(userId, SecurityEventKind.PasswordReset, "password set by an admin", async (users, user) =>
            ThrowIfFailed(await users.ResetPasswordAsync(user, await users.GeneratePasswordResetTokenAsync(user), password ?? "")), actorId, ct);

    private async Task<UserDto> ChangeAsync(string userId, SecurityEventKind kind, string detail, Func<UserManager<AppUser>, AppUser, Task> change,
        string? actorId, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        await using var scope = scopes.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<AppUser>>();
        var user = await users.FindByIdAsync(userId) ?? throw new NotFoundException($"User {userId} does not exist.");
        await change(users, user);
        await security.RecordAsync(kind, actorId, user.Id, user.Email ?? user.Id, null, detail, ct);
        return await ToDtoAsync(users, user);
    }

    public async Task<UserDto> SetRolesAsync(string userId, IReadOnlyList<string> requested, string actorId, CancellationToken ct)
    {
        var roles = NormalizeRoles(requested);
        ct.ThrowIfCancellationRequested();
        await using var scope = scopes.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<AppUser>>();
        var user = await users.FindByIdAsync(userId) ?? throw new NotFoundException($"User {userId} does not exist.");
        if (userId == actorId && !roles.Contains(AppRoles.Admin))
        {
            throw new ConflictException("You cannot remove your own Admin role; ask another admin.");
        }
        var current = await users.GetRolesAsync(user);
        ThrowIfFailed(await users.RemoveFromRolesAsync(user, current.Except(roles)));
        ThrowIfFailed(await users.AddToRolesAsync(user, roles.Except(current)));
        await security.RecordAsync(SecurityEventKind.RolesChanged, actorId, user.Id, user.Email ?? user.Id, null,
            $"{Describe(current)} → {Describe(roles)}", ct);
        return await ToDtoAsync(users, user);
    }

    /// <summary>Lifts a lockout and forgets the failed attempts.</summary>
    public Task<UserDto> UnlockAsync(string userId, CancellationToken ct, string? actorId = null) =>
        ChangeAsync(userId, SecurityEventKind.AccountUnlocked, "lockout lifted", LiftLockoutAsync, actorId, ct);

    /// <summary>The name a person gave (at setup or when their account was made), or null when they gave none.</summary>
    public async Task<string?> DisplayNameAsync(string userId, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.Users.AsNoTracking().Where(u => u.Id == userId).Select(u => u.DisplayName).SingleOrDefaultAsync(ct);
    }

    public async Task<bool> AnyAsync(CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.Users.AnyAsync(ct);
    }

    private static async Task<UserDto> ToDtoAsync(UserManager<AppUser> users, AppUser user) =>
        new(user.Id, user.Email ?? "", user.DisplayName, [.. (await users.GetRolesAsync(user)).Order()],
            await users.IsLockedOutAsync(user) && user.LockoutEnd < DisabledUntil, user.CreatedAt, user.LockoutEnd >= DisabledUntil);

    private static List<string> NormalizeRoles(IEnumerable<string> roles)
    {
        var result = new List<string>();
        foreach (var role in roles)
        {
            result.Add(AppRoles.Normalize(role) ?? throw ValidationFailedException.For("roles",
                $"'{role}' is not a role. Roles: {string.Join(", ", AppRoles.All)}."));
        }
        return [.. result.Distinct()];
    }

    /// <summary>Identity's messages in the product's words (its own speak of "user names" and "non alphanumeric characters").</summary>
    private static string Plain(IdentityError e) => e.Code switch
    {
        "PasswordTooShort" => $"The password needs at least {System.Text.RegularExpressions.Regex.Match(e.Description, @"\d+").Value} characters.",
        "PasswordRequiresNonAlphanumeric" => "The password needs a symbol (such as ! or #).",
        "PasswordRequiresDigit" => "The password needs a digit.",
        "PasswordRequiresUpper" => "The password needs a capital letter.",
        "PasswordRequiresLower" => "The password needs a lower-case letter.",
        "PasswordRequiresUniqueChars" => "The password needs more different characters.",
        "InvalidEmail" or "InvalidUserName" => "That is not an e-mail address this app can use.",
        _ => e.Description,
    };

    internal static void ThrowIfFailed(IdentityResult result)
    {
        if (!result.Succeeded)
        {
            var errors = result.Errors.GroupBy(e => e.Code.Contains("Password", StringComparison.Ordinal) ? "password" : e.Code.Contains("Email", StringComparison.Ordinal) || e.Code.Contains("UserName", StringComparison.Ordinal) ? "email" : "user")
                .ToDictionary(g => g.Key, g => g.Select(Plain).Distinct().ToArray());
            if (result.Errors.Any(e => e.Code is "DuplicateUserName" or "DuplicateEmail"))
            {
                throw new ConflictException("An account with this e-mail address already exists.");
            }
            throw new ValidationFailedException(errors);
        }
    }
}
