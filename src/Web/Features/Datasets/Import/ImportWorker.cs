namespace TransferHub.Web.Features.Datasets.Import;

/// <summary>Runs queued imports one at a time, so a large upload never competes with itself for the disk.</summary>
public sealed partial class ImportWorker(ImportService imports, ILogger<ImportWorker> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await imports.RequeueUnfinishedAsync(stoppingToken);
        await foreach (var importId in imports.Queue.ReadAllAsync(stoppingToken))
        {
            try
            {
                await imports.ProcessAsync(importId, stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogFailed(logger, e, importId);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Import {ImportId} could not be processed")]
    private static partial void LogFailed(ILogger logger, Exception exception, Guid importId);
}
