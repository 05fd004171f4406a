using TransferHub.Shared.Admin;
using TransferHub.Shared.Identity;
using TransferHub.Web.Features.Identity;
using TransferHub.Web.Features.Security;

namespace TransferHub.Web.Features.Backup;

public static class BackupEndpoints
{
    /// <summary>The backup folder's service and its schedule.</summary>
    public static IServiceCollection AddBackups(this IServiceCollection services, string dataRoot)
    {
        services.AddOptions<BackupOptions>().BindConfiguration(BackupOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton(sp => ActivatorUtilities.CreateInstance<BackupService>(sp, dataRoot));
        services.AddHostedService<ScheduledBackups>();
        return services;
    }

    /// <summary>Admins list, write, download and delete backups of the whole deployment.</summary>
    public static RouteGroupBuilder MapBackupEndpoints(this RouteGroupBuilder api)
    {
        var backups = api.MapGroup("/admin/backups").RequireAuthorization(AuthorizationPolicies.Admin).WithTags("Backups");
        backups.MapGet("", (BackupService service) => service.Overview())
            .WithSummary("Whether this deployment can back itself up, the schedule, and the backups in the folder, newest first (Admin).");
        backups.MapPost("", async (BackupService service, CancellationToken ct) =>
            {
                var created = await service.CreateAsync(ct);
                return Results.Created($"/api/admin/backups/{created.Name}", created);
            })
            .WithSummary("Writes a backup now: the database (one consistent copy while the app serves) and every artifact, with a manifest of " +
                "hashes; the oldest beyond Backup:Keep are deleted. 409 when another is being written or the deployment uses a database server (Admin).");
        backups.MapGet("/{name}", async (string name, BackupService service, SecurityLog log, HttpContext http, CancellationToken ct) =>
            {
                var file = service.Get(name);
                var user = http.User;
                await log.RecordAsync(SecurityEventKind.BackupDownloaded, user.UserId(), null, file.Name, http.Connection.RemoteIpAddress?.ToString(),
                    $"{file.Length:N0} bytes", ct);
                return Results.File(file.FullName, "application/zip", file.Name);
            })
            .WithSummary("Downloads a backup; recorded in the security log, since it holds everything (Admin).");
        backups.MapDelete("/{name}", (string name, BackupService service) =>
            {
                service.Delete(name);
                return Results.NoContent();
            })
            .WithSummary("Deletes a backup from the folder (Admin).");
        return api;
    }
}
