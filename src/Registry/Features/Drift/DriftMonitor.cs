using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using TransferHub.Registry.Features.Artifacts;
using TransferHub.Registry.Features.Models;
using TransferHub.Shared.Registry;

namespace TransferHub.Registry.Features.Drift;

/// <summary>
/// Runs a drift check of every model in production on a schedule (<c>Registry:DriftInterval</c>, default 15 minutes; 0 turns
/// it off), and forgets logged predictions older than <c>Registry:PredictionRetention</c> (default 90 days; 0 keeps them).
/// </summary>
public sealed partial class DriftMonitor(IRegistryDatabase database, DriftService drift, IArtifactStore artifacts, IOptions<RegistryOptions> options,
    TimeProvider clock, ILogger<DriftMonitor> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = options.Value.DriftInterval;
        if (interval <= TimeSpan.Zero)
        {
            return;
        }
        using var timer = new PeriodicTimer(interval, clock);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await CheckAllAsync(stoppingToken);
                await PruneAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogTickFailed(logger, e); // the next tick tries again; a throwing loop would stop the server
            }
        }
    }

    /// <summary>Deletes predictions older than the retention, and raw inputs no remaining prediction refers to; returns how many.</summary>
    internal async Task<int> PruneAsync(CancellationToken ct)
    {
        var retention = options.Value.PredictionRetention;
        if (retention <= TimeSpan.Zero)
        {
            return 0;
        }
        var cutoff = clock.GetUtcNow() - retention;
        await using var db = await database.OpenAsync(ct);
        var rawKeys = await db.PredictionLogs().Where(p => p.At < cutoff && p.RawKey != null).Select(p => p.RawKey!).Distinct().ToListAsync(ct);
        var deleted = await db.PredictionLogs().Where(p => p.At < cutoff).ExecuteDeleteAsync(ct);
        // Raw inputs are content-addressed: one sent again later is still referenced and stays.
        var kept = (await db.PredictionLogs().Where(p => p.RawKey != null && rawKeys.Contains(p.RawKey)).Select(p => p.RawKey!).ToListAsync(ct)).ToHashSet();
        foreach (var key in rawKeys.Where(k => !kept.Contains(k)))
        {
            await artifacts.DeleteAsync(key, ct);
        }
        return deleted;
    }

    internal async Task CheckAllAsync(CancellationToken ct)
    {
        List<Guid> models;
        await using (var db = await database.OpenAsync(ct))
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

    [LoggerMessage(Level = LogLevel.Error, Message = "A drift monitor tick failed; the next one tries again")]
    private static partial void LogTickFailed(ILogger logger, Exception exception);
}
