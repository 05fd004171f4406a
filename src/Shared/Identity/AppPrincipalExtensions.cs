using System.Security.Claims;
using TransferHub.Shared.Common;

namespace TransferHub.Shared.Identity;

/// <summary>Who a caller is, as every module asks it.</summary>
public static class AppPrincipalExtensions
{
    /// <summary>The role of a worker's token: it trains, it never acts as a person.</summary>
    public const string WorkerRole = "Worker";

    /// <summary>The account id behind a cookie or a personal token; throws for anonymous or worker callers.</summary>
    public static string UserId(this ClaimsPrincipal principal) =>
        principal.IsInRole(WorkerRole) ? throw new ForbiddenException("Worker tokens cannot act as a person.")
        : principal.FindFirst(ClaimTypes.NameIdentifier)?.Value ?? throw new UnauthorizedException("Sign in first.");

    /// <summary>Whether the caller holds the global Admin role.</summary>
    public static bool IsAdmin(this ClaimsPrincipal principal) => principal.IsInRole(AppRoles.Admin);
}
