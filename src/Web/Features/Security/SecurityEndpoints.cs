using TransferHub.Shared.Identity;
using TransferHub.Web.Features.Identity;

namespace TransferHub.Web.Features.Security;

public static class SecurityEndpoints
{
    public static IServiceCollection AddSecurityLog(this IServiceCollection services) => services.AddSingleton<SecurityLog>();

    public static RouteGroupBuilder MapSecurityEndpoints(this RouteGroupBuilder api)
    {
        api.MapGet("/admin/security-log", (SecurityEventKind? kind, int? take, SecurityLog log, CancellationToken ct) =>
                log.ListAsync(kind, take ?? 200, ct))
            .RequireAuthorization(AuthorizationPolicies.Admin).WithTags("Users")
            .WithSummary("Sign-ins, failed sign-ins, lockouts, account and role changes, token creation and revocation; newest first (Admin).");
        return api;
    }
}
