using System.IO.Compression;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using TransferHub.Registry.Features.Artifacts;
using TransferHub.Shared.Datasets;
using TransferHub.Shared.Experiments;
using TransferHub.Shared.Training;
using TransferHub.Training.Strategies;
using TransferHub.Training.Worker;
using TransferHub.Web.Data;
using TransferHub.Web.Features.Datasets;

namespace TransferHub.Web.Features.Experiments;

/// <summary>
/// The embedded default's training worker: claims runs from the queue like any remote worker would
/// (same <see cref="ITrainingControlPlane"/>), lays the dataset version out as files, trains with the
/// engine on the CPU, stores each epoch's metrics and the model, and heartbeats while it trains.
/// </summary>
public sealed partial class InProcessWorker(
    JobQueue queue, IDbContextFactory<AppDbContext> dbFactory, IArtifactStore artifacts, ExperimentEvents events, ExperimentService experiments,
    ILogger<InProcessWorker> logger, ILogger<Trainer> trainerLogger, IConfiguration configuration) : BackgroundService
{
    private string _workerId = $"in-process@{Environment.MachineName}";

    /// <summary>Lets a test act as two different workers.</summary>
    internal string WorkerId { get => _workerId; set => _workerId = value; }
    private readonly string _root = Path.Combine(Path.GetTempPath(), "transferhub-worker");

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!configuration.GetValue("Workers:InProcess", true))
        {
            return;
        }
        while (!stoppingToken.IsCancellationRequested)
        {
            var run = await queue.ClaimAsync(_workerId, stoppingToken);
            if (run is null)
            {
                await queue.WaitForWorkAsync(TimeSpan.FromSeconds(5), stoppingToken);
                continue;
            }
            await ExecuteRunAsync(run, stoppingToken);
        }
    }

    /// <summary>Trains one claimed run to the end; internal so tests can stop it half way, as a killed worker would be.</summary>
    internal async Task ExecuteRunAsync(ClaimedRun run, CancellationToken stoppingToken)
    {
        var folder = Path.Combine(_root, $"{run.RunId:N}-{run.Attempt}");
        var checkpoints = Path.Combine(folder, "checkpoints");
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        var heartbeat = HeartbeatAsync(run.RunId, cancel);
        try
        {
            var plan = JsonSerializer.Deserialize<RunPlan>(run.SpecJson, ExperimentService.Json)!;
            var data = await VersionLayout.WriteAsync(dbFactory, artifacts, plan.DatasetVersionId, folder, cancel.Token);
            var spec = plan.Spec;
            if (plan.SourceRunId is { } source)
            {
                var path = Path.Combine(folder, "source.safetensors");
                await using (var stream = await artifacts.OpenReadAsync(ModelKey(source), cancel.Token))
                await using (var file = File.Create(path))
                {
                    await stream.CopyToAsync(file, cancel.Token);
                }
                spec = spec with { SourceWeights = path };
            }
            if (run.CheckpointKey is not null)
            {
                // An earlier attempt died: carry on from its last uploaded checkpoint instead of starting over.
                await using var zip = await artifacts.OpenReadAsync(run.CheckpointKey, cancel.Token);
                await ZipFile.ExtractToDirectoryAsync(zip, checkpoints, overwriteFiles: true, cancel.Token);
            }
            var progress = new EpochRecorder(this, run, checkpoints, cancel.Token);
            var result = await Task.Run(() => LocalTraining.Run(data, spec, plan.ImageSize, Path.Combine(folder, "out"),
                Path.Combine(folder, "cache"), trainerLogger, progress, checkpoints, cancel.Token), cancel.Token);
            await using (var model = File.OpenRead(result.ModelPath))
            {
                await artifacts.PutAsync(ModelKey(run.RunId), model, cancel.Token);
            }
            await queue.CompleteAsync(run.RunId, _workerId, JsonSerializer.Serialize(result.Result, ExperimentService.Json), CancellationToken.None);
        }
        catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
        {
            // Cancelled by a person: the heartbeat already marked the run.
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogRunFailed(logger, e, run.RunId);
            await queue.FailAsync(run.RunId, _workerId, e.Message, CancellationToken.None);
        }
        finally
        {
            await cancel.CancelAsync();
            await heartbeat;
            await events.PublishAsync(run.ExperimentId);
            TryDelete(folder);
        }
    }

    public static string ModelKey(Guid runId) => $"runs/{runId:N}/model.safetensors";

    private async Task HeartbeatAsync(Guid runId, CancellationTokenSource cancel)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(Math.Max(1, queue.Lease.TotalSeconds / 3)));
        try
        {
            while (await timer.WaitForNextTickAsync(cancel.Token))
            {
                var reply = await queue.HeartbeatAsync(runId, _workerId, null, cancel.Token);
                if (!reply.Continue)
                {
                    await cancel.CancelAsync();
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The run ended.
        }
    }

    public static string CheckpointKey(Guid runId) => $"runs/{runId:N}/checkpoint.zip";

    private async Task RecordAsync(ClaimedRun run, EpochMetrics metrics, string checkpoints, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        // A resumed attempt re-reports epochs it repeats: the stored history keeps one row per epoch.
        await db.RunMetrics.Where(m => m.RunId == run.RunId && m.Epoch == metrics.Epoch).ExecuteDeleteAsync(ct);
        db.RunMetrics.Add(new RunMetric { RunId = run.RunId, Epoch = metrics.Epoch, Json = JsonSerializer.Serialize(metrics, ExperimentService.Json) });
        await db.SaveChangesAsync(ct);
        await experiments.NotifyWarningsAsync(run.ExperimentId, ct);
        await events.PublishAsync(run.ExperimentId);
        await UploadCheckpointAsync(run, checkpoints, ct);
    }

    /// <summary>
    /// The engine reports an epoch just before it saves that epoch's checkpoint, so the folder holds the
    /// previous epoch's, complete: upload it and tell the queue where it is. A new attempt repeats at most one epoch.
    /// </summary>
    private async Task UploadCheckpointAsync(ClaimedRun run, string checkpoints, CancellationToken ct)
    {
        if (!Directory.Exists(checkpoints) || !Directory.EnumerateFiles(checkpoints, "*", SearchOption.AllDirectories).Any())
        {
            return;
        }
        var zip = checkpoints + ".zip";
        File.Delete(zip);
        ZipFile.CreateFromDirectory(checkpoints, zip, CompressionLevel.Fastest, includeBaseDirectory: false);
        await using (var stream = File.OpenRead(zip))
        {
            await artifacts.PutAsync(CheckpointKey(run.RunId), stream, ct);
        }
        await queue.HeartbeatAsync(run.RunId, _workerId, CheckpointKey(run.RunId), ct);
    }

    internal static void TryDelete(string folder)
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
    private sealed class EpochRecorder(InProcessWorker worker, ClaimedRun run, string checkpoints, CancellationToken ct) : IProgress<EpochMetrics>
    {
        public void Report(EpochMetrics value) => worker.RecordAsync(run, value, checkpoints, ct).GetAwaiter().GetResult();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Run {RunId} failed")]
    private static partial void LogRunFailed(ILogger logger, Exception exception, Guid runId);
}
