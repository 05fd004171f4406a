using Microsoft.Extensions.Options;

namespace TransferHub.Web.Features.Backup;

/// <summary>
/// Writes a backup every <see cref="BackupOptions.Interval"/> (none when it is 0, or when the deployment is not the
/// embedded one). A failed backup is logged and shown on the Admin page until one succeeds; the next is tried on time.
/// </summary>
public sealed partial class ScheduledBackups(BackupService backups, IOptions<BackupOptions> options, TimeProvider clock, ILogger<ScheduledBackups> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = options.Value.Interval;
        if (interval == TimeSpan.Zero || !backups.Supported)
        {
            return;
        }
        using var timer = new PeriodicTimer(interval, clock);
        backups.Schedule = (clock.GetUtcNow() + interval, null);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            string? error = null;
            try
            {
                await backups.CreateAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                error = e.Message;
                LogFailed(logger, e);
            }
            backups.Schedule = (clock.GetUtcNow() + interval, error);
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "The scheduled backup failed; the next is tried on time")]
    private static partial void LogFailed(ILogger logger, Exception error);
}
