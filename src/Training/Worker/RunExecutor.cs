using System.Diagnostics;
using System.IO.Compression;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using TransferHub.Shared.Experiments;
using TransferHub.Shared.Training;
using TransferHub.Training.Strategies;

namespace TransferHub.Training.Worker;

/// <summary>
/// A training worker's loop, the same for the in-process and the remote worker: claim a run, fetch its
/// data (and source model, and checkpoint when resuming), train with the engine while heartbeating,
/// report each epoch and upload its checkpoint, then upload the model and complete — or fail.
/// </summary>
/// <param name="releaseOnStop">On a graceful stop (Ctrl+C, SIGTERM, host shutdown) hand the run back at once instead of leaving it to its lease.</param>
public sealed partial class RunExecutor(IWorkerHost host, ILogger<Trainer> trainerLogger, ILogger logger, string workRoot, bool releaseOnStop = false)
{
    private readonly VersionCache _versions = new(Path.Combine(workRoot, "versions"), TimeProvider.System);

    /// <summary>Claims and trains runs until <paramref name="stop"/>. An error in one iteration (the server refusing a report
    /// of a run that was cancelled meanwhile, a dropped connection) is logged and the loop goes on after a pause: a worker
    /// loop that throws would stop the process hosting it — for the in-process worker, the whole web server.</summary>
    public async Task RunLoopAsync(CancellationToken stop)
    {
        var pause = TimeSpan.FromSeconds(1);
        while (!stop.IsCancellationRequested)
        {
            try
            {
                var run = await host.ClaimAsync(stop);
                if (run is null)
                {
                    await host.WaitForWorkAsync(TimeSpan.FromSeconds(5), stop);
                    continue;
                }
                await ExecuteAsync(run, stop);
                pause = TimeSpan.FromSeconds(1);
            }
            catch (Exception e) when (!stop.IsCancellationRequested)
            {
                LogLoopFailed(logger, e, pause.TotalSeconds);
                await Task.Delay(pause, stop).ContinueWith(_ => { }, TaskScheduler.Default);
                pause = TimeSpan.FromSeconds(Math.Min(30, pause.TotalSeconds * 2));
            }
        }
    }

    /// <summary>Trains one claimed run to the end. Cancelling <paramref name="stoppingToken"/> stops the worker: the run is handed back
    /// (with releaseOnStop) or left to its lease, as for a killed worker.</summary>
    public async Task ExecuteAsync(ClaimedRun run, CancellationToken stoppingToken)
    {
        using var activity = WorkerTelemetry.StartRun(run); // first: the heartbeat, pump and transfers run inside it
        var folder = Path.Combine(workRoot, $"{run.RunId:N}-{run.Attempt}");
        var checkpoints = Path.Combine(folder, "checkpoints");
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        var heartbeat = HeartbeatAsync(run, cancel);
        var steps = new StepStream(host, run, logger);
        var pump = steps.PumpAsync(cancel.Token);
        try
        {
            var plan = JsonSerializer.Deserialize<RunPlan>(run.SpecJson, WireJson.Options)
                ?? throw new InvalidDataException("The run has no plan.");
            Directory.CreateDirectory(folder);
            var version = await _versions.GetAsync(plan.DatasetVersionId, staging => host.DownloadDatasetAsync(run, plan, staging, cancel.Token));
            var spec = plan.Spec;
            if (plan.HasSource)
            {
                var path = Path.Combine(folder, "source.safetensors");
                await host.DownloadSourceAsync(run, path, cancel.Token);
                spec = plan.SourceShapeOnly ? spec with { ShapeWeights = path } : spec with { SourceWeights = path };
            }
            if (run.CheckpointKey is not null)
            {
                // An earlier attempt died: carry on from its last uploaded checkpoint instead of starting over.
                var zip = Path.Combine(folder, "resume.zip");
                await host.DownloadCheckpointAsync(run, zip, cancel.Token);
                await ZipFile.ExtractToDirectoryAsync(zip, checkpoints, overwriteFiles: true, cancel.Token);
            }
            var progress = new EpochRecorder(this, run, checkpoints, steps, cancel.Token);
            // A dedicated thread: a run blocks for minutes to hours, which a thread-pool thread should not.
            var result = await Task.Factory.StartNew(() => LocalTraining.Run(version.Data, spec, plan.ImageSize, Path.Combine(folder, "out"),
                version.TensorCache, trainerLogger, progress, checkpoints, cancel.Token, plan.LabelFraction, steps),
                cancel.Token, TaskCreationOptions.LongRunning, TaskScheduler.Default);
            await steps.FlushAsync(cancel.Token);
            await host.UploadModelAsync(run, result.ModelPath, cancel.Token);
            await host.CompleteAsync(run, result.Result, CancellationToken.None);
            activity?.SetStatus(ActivityStatusCode.Ok);
        }
        catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
        {
            // Cancelled by a person, or the lease was lost: the heartbeat's reply already said so.
        }
        catch (OperationCanceledException) when (releaseOnStop)
        {
            await ReleaseAsync(run);
            throw;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogRunFailed(logger, e, run.RunId);
            activity?.SetStatus(ActivityStatusCode.Error, e.Message);
            var retry = e is not (TrainingDivergedException or RunUnavailableException or Weights.WeightMismatchException);
            try
            {
                await host.FailAsync(run, e.Message, retry, CancellationToken.None);
            }
            catch (Exception failed) when (failed is not OutOfMemoryException)
            {
                // The server no longer gives this worker the run (cancelled meanwhile, or its lease went to another worker).
                LogHeartbeatFailed(logger, run.RunId, failed.Message);
            }
        }
        finally
        {
            await cancel.CancelAsync();
            await heartbeat;
            await pump;
            TryDelete(folder);
        }
    }

    /// <summary>Best effort within a few seconds: if the server cannot be told, the lease runs out as for a killed worker.</summary>
    private async Task ReleaseAsync(ClaimedRun run)
    {
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        try
        {
            await host.ReleaseAsync(run, limit.Token);
            LogReleased(logger, run.RunId);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            LogHeartbeatFailed(logger, run.RunId, e.Message);
        }
    }

    private async Task HeartbeatAsync(ClaimedRun run, CancellationTokenSource cancel)
    {
        using var timer = new PeriodicTimer(host.HeartbeatInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(cancel.Token))
            {
                try
                {
                    var reply = await host.HeartbeatAsync(run, cancel.Token);
                    if (!reply.Continue)
                    {
                        LogStopped(logger, run.RunId, reply.Reason);
                        await cancel.CancelAsync();
                    }
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // A dropped connection: keep training, the next beat retries within the lease.
                    LogHeartbeatFailed(logger, run.RunId, e.Message);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The run ended.
        }
    }

    /// <summary>
    /// The engine reports an epoch just before it saves that epoch's checkpoint, so the folder holds the
    /// previous epoch's, complete: upload it. A new attempt repeats at most one epoch.
    /// </summary>
    private async Task RecordAsync(ClaimedRun run, EpochMetrics metrics, string checkpoints, StepStream steps, CancellationToken ct)
    {
        await steps.FlushAsync(ct); // the epoch's last steps reach watchers before the epoch itself
        await host.ReportEpochAsync(run, metrics, ct);
        Activity.Current?.AddEvent(new ActivityEvent("epoch", tags: new ActivityTagsCollection
        {
            ["transferhub.epoch"] = metrics.Epoch, ["transferhub.train_loss"] = metrics.TrainLoss, ["transferhub.val_macro_f1"] = metrics.Validation.MacroF1,
        }));
        if (!Directory.Exists(checkpoints) || !Directory.EnumerateFiles(checkpoints, "*", SearchOption.AllDirectories).Any())
        {
            return;
        }
        var zip = checkpoints + ".zip";
        File.Delete(zip);
        ZipFile.CreateFromDirectory(checkpoints, zip, CompressionLevel.Fastest, includeBaseDirectory: false);
        await host.UploadCheckpointAsync(run, zip, ct);
    }

    public static void TryDelete(string folder)
    {
        try
        {
            if (Directory.Exists(folder))
            {
                Directory.Delete(folder, recursive: true);
            }
        }
        catch (IOException)
        {
            // A leftover temp folder is not worth failing a run over.
        }
    }

    /// <summary>Called by the engine on its training thread after each epoch.</summary>
    private sealed class EpochRecorder(RunExecutor executor, ClaimedRun run, string checkpoints, StepStream steps, CancellationToken ct) : IProgress<EpochMetrics>
    {
        public void Report(EpochMetrics value) => executor.RecordAsync(run, value, checkpoints, steps, ct).GetAwaiter().GetResult();
    }

    /// <summary>
    /// Per-step losses from the training thread, sent in batches every 250 ms (and before each epoch's report).
    /// They feed live curves only: a batch that cannot be sent is dropped, the epoch metrics stay the record.
    /// </summary>
    private sealed class StepStream(IWorkerHost host, ClaimedRun run, ILogger logger) : IProgress<StepLoss>
    {
        private static readonly TimeSpan Period = TimeSpan.FromMilliseconds(250);
        private readonly System.Collections.Concurrent.ConcurrentQueue<StepLoss> _pending = new();
        private readonly SemaphoreSlim _sending = new(1, 1);

        public void Report(StepLoss value) => _pending.Enqueue(value);

        public async Task FlushAsync(CancellationToken ct)
        {
            await _sending.WaitAsync(ct);
            try
            {
                var batch = new List<StepLoss>();
                while (_pending.TryDequeue(out var step))
                {
                    batch.Add(step);
                }
                if (batch.Count > 0)
                {
                    await host.ReportStepsAsync(run, batch, ct);
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogStepsDropped(logger, run.RunId, e.Message);
            }
            finally
            {
                _sending.Release();
            }
        }

        public async Task PumpAsync(CancellationToken ct)
        {
            using var timer = new PeriodicTimer(Period);
            try
            {
                while (await timer.WaitForNextTickAsync(ct))
                {
                    await FlushAsync(ct);
                }
            }
            catch (OperationCanceledException)
            {
                // The run ended.
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "The worker loop failed; it claims again in {Seconds} s")]
    private static partial void LogLoopFailed(ILogger logger, Exception exception, double seconds);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Run {RunId}: a batch of step losses was dropped: {Error}")]
    private static partial void LogStepsDropped(ILogger logger, Guid runId, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Run {RunId} failed")]
    private static partial void LogRunFailed(ILogger logger, Exception exception, Guid runId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Run {RunId} handed back on shutdown; it resumes from its last checkpoint")]
    private static partial void LogReleased(ILogger logger, Guid runId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Run {RunId} stopped: {Reason}")]
    private static partial void LogStopped(ILogger logger, Guid runId, string? reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Heartbeat for run {RunId} failed: {Error}")]
    private static partial void LogHeartbeatFailed(ILogger logger, Guid runId, string error);
}
