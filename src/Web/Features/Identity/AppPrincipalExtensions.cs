using System.Security.Claims;
using TransferHub.Shared.Identity;

namespace TransferHub.Web.Features.Identity;

public static class AppPrincipalExtensions
{
    public const string WorkerRole = "Worker";

    /// <summary>The account id behind a cookie or a personal token; throws for anonymous or worker callers.</summary>
    public static string UserId(this ClaimsPrincipal principal) =>
        principal.IsInRole(WorkerRole) ? throw new ForbiddenException("Worker tokens cannot act as a person.")
        : principal.FindFirstValue(ClaimTypes.NameIdentifier) ?? throw new UnauthorizedException("Sign in first.");

    public static bool IsAdmin(this ClaimsPrincipal principal) => principal.IsInRole(AppRoles.Admin);
}
