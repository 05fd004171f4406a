using Microsoft.EntityFrameworkCore;
using TransferHub.Shared.Registry;
using TransferHub.Web.Data;

namespace TransferHub.Web.Features.Registry;

/// <summary>Runs a drift check of every model in production on a schedule (<c>Registry:DriftInterval</c>, default 15 minutes; 0 turns it off).</summary>
public sealed partial class DriftMonitor(IDbContextFactory<AppDbContext> dbFactory, DriftService drift, IConfiguration configuration, TimeProvider clock,
    ILogger<DriftMonitor> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = configuration.GetValue("Registry:DriftInterval", TimeSpan.FromMinutes(15));
        if (interval <= TimeSpan.Zero)
        {
            return;
        }
        using var timer = new PeriodicTimer(interval, clock);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            await CheckAllAsync(stoppingToken);
        }
    }

    internal async Task CheckAllAsync(CancellationToken ct)
    {
        List<Guid> models;
        await using (var db = await dbFactory.CreateDbContextAsync(ct))
        {
            models = await db.ModelVersions().Where(v => v.Stage == ModelStage.Production).Select(v => v.ModelId).Distinct().ToListAsync(ct);
        }
        foreach (var model in models)
        {
            try
            {
                await drift.RunAsync(model, ct);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // One model's failure must not stop the others' checks.
                LogFailed(logger, e, model);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Drift check of model {ModelId} failed")]
    private static partial void LogFailed(ILogger logger, Exception exception, Guid modelId);
}
