using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using TransferHub.Shared.Identity;
using TransferHub.Web.Data;
using TransferHub.Web.Features.Identity;
using TransferHub.Web.Infrastructure;
using TransferHub.Web.Features.Security;

namespace TransferHub.Web.Features.Users;

/// <summary>Account administration. Singleton: each call gets its own scope, so a Blazor circuit never holds a DbContext.</summary>
public sealed class UserService(IServiceScopeFactory scopes, IDbContextFactory<AppDbContext> dbFactory, TimeProvider clock, SecurityLog security)
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
            u.LockoutEnd > now, u.CreatedAt))];
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
    public async Task<UserDto> UnlockAsync(string userId, CancellationToken ct, string? actorId = null)
    {
        ct.ThrowIfCancellationRequested();
        await using var scope = scopes.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<AppUser>>();
        var user = await users.FindByIdAsync(userId) ?? throw new NotFoundException($"User {userId} does not exist.");
        ThrowIfFailed(await users.SetLockoutEndDateAsync(user, null));
        ThrowIfFailed(await users.ResetAccessFailedCountAsync(user));
        await security.RecordAsync(SecurityEventKind.AccountUnlocked, actorId, user.Id, user.Email ?? user.Id, null, "lockout lifted", ct);
        return await ToDtoAsync(users, user);
    }

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
            await users.IsLockedOutAsync(user), user.CreatedAt);

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

    internal static void ThrowIfFailed(IdentityResult result)
    {
        if (!result.Succeeded)
        {
            var errors = result.Errors.GroupBy(e => e.Code.Contains("Password", StringComparison.Ordinal) ? "password" : e.Code.Contains("Email", StringComparison.Ordinal) || e.Code.Contains("UserName", StringComparison.Ordinal) ? "email" : "user")
                .ToDictionary(g => g.Key, g => g.Select(e => e.Description).ToArray());
            if (result.Errors.Any(e => e.Code is "DuplicateUserName" or "DuplicateEmail"))
            {
                throw new ConflictException(string.Join(" ", result.Errors.Select(e => e.Description)));
            }
            throw new ValidationFailedException(errors);
        }
    }
}
