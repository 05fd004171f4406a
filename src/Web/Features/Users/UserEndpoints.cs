using System.Security.Claims;
using TransferHub.Shared.Identity;
using TransferHub.Web.Features.Identity;
using TransferHub.Web.Infrastructure;

namespace TransferHub.Web.Features.Users;

public static class UserEndpoints
{
    public static RouteGroupBuilder MapUserEndpoints(this RouteGroupBuilder api)
    {
        api.MapGet("/me", (ClaimsPrincipal user) => new
        {
            id = user.FindFirstValue(ClaimTypes.NameIdentifier),
            name = user.Identity?.Name,
            roles = user.FindAll(ClaimTypes.Role).Select(c => c.Value).ToArray(),
        }).WithTags("Users").WithSummary("Who the caller is.");

        var admin = api.MapGroup("/users").WithTags("Users").RequireAuthorization(AuthorizationPolicies.Admin);
        admin.MapGet("/", (UserService users, CancellationToken ct) => users.ListAsync(ct)).WithSummary("Every account (Admin).");
        admin.MapPost("/", async (CreateUserRequest request, ClaimsPrincipal actor, UserService users, CancellationToken ct) =>
        {
            var created = await users.CreateAsync(request, ct, actor.UserId());
            return Results.Created($"/api/users/{created.Id}", created);
        }).WithSummary("Creates an account (Admin).");
        admin.MapPut("/{userId}/roles", (string userId, SetRolesRequest request, ClaimsPrincipal actor, UserService users, CancellationToken ct) =>
            users.SetRolesAsync(userId, request.Roles ?? throw ValidationFailedException.For("roles", "Send the roles to keep; an empty list removes every role."),
                actor.UserId(), ct)).WithSummary("Replaces an account's roles (Admin).");
        admin.MapPost("/{userId}/unlock", (string userId, ClaimsPrincipal actor, UserService users, CancellationToken ct) =>
            users.UnlockAsync(userId, ct, actor.UserId())).WithSummary("Lifts a lockout after repeated failed sign-ins (Admin).");
        admin.MapPost("/{userId}/disable", (string userId, ClaimsPrincipal actor, UserService users, CancellationToken ct) =>
            users.DisableAsync(userId, actor.UserId(), ct)).WithSummary("Disables an account: no sign-in, no token, until enabled (Admin; not your own).");
        admin.MapPost("/{userId}/enable", (string userId, ClaimsPrincipal actor, UserService users, CancellationToken ct) =>
            users.EnableAsync(userId, actor.UserId(), ct)).WithSummary("Enables a disabled account (Admin).");
        admin.MapPut("/{userId}/password", (string userId, ResetPasswordRequest request, ClaimsPrincipal actor, UserService users, CancellationToken ct) =>
            users.ResetPasswordAsync(userId, request.Password, actor.UserId(), ct)).WithSummary("Sets a new password for an account; the password rules apply (Admin).");
        return api;
    }
}
