using Microsoft.EntityFrameworkCore;
using TransferHub.Registry.Features.Artifacts;
using TransferHub.Shared.Experiments;
using TransferHub.Shared.Training;
using TransferHub.Training.Worker;
using TransferHub.Web.Data;
using TransferHub.Web.Features.Experiments;

namespace TransferHub.Web.Features.Workers;

/// <summary>The server as the in-process worker sees it: <see cref="WorkerControl"/> called directly, files read from the store.</summary>
internal sealed class InProcessWorkerHost(string workerId, WorkerControl control, JobQueue queue, IDbContextFactory<AppDbContext> dbFactory, IArtifactStore artifacts)
    : IWorkerHost
{
    public string WorkerId => workerId;

    public TimeSpan HeartbeatInterval => TimeSpan.FromSeconds(Math.Max(1, control.Lease.TotalSeconds / 3));

    public Task<ClaimedRun?> ClaimAsync(CancellationToken ct) => control.ClaimAsync(workerId, ct);

    public Task WaitForWorkAsync(TimeSpan timeout, CancellationToken ct) => queue.WaitForWorkAsync(timeout, ct);

    public Task<HeartbeatReply> HeartbeatAsync(ClaimedRun run, CancellationToken ct) => control.HeartbeatAsync(workerId, run.RunId, ct);

    public async Task<string> DownloadDatasetAsync(ClaimedRun run, RunPlan plan, string folder, CancellationToken ct)
    {
        try
        {
            return await VersionLayout.WriteAsync(dbFactory, artifacts, plan.DatasetVersionId, folder, ct);
        }
        catch (NotFoundException e)
        {
            throw new RunUnavailableException(e.Message, e);
        }
    }

    public async Task DownloadSourceAsync(ClaimedRun run, string path, CancellationToken ct)
    {
        await using var source = await control.OpenSourceAsync(workerId, run.RunId, ct);
        await using var file = File.Create(path);
        await source.CopyToAsync(file, ct);
    }

    public async Task DownloadCheckpointAsync(ClaimedRun run, string path, CancellationToken ct)
    {
        await using var source = await control.OpenCheckpointAsync(workerId, run.RunId, ct);
        await using var file = File.Create(path);
        await source.CopyToAsync(file, ct);
    }

    public Task ReportEpochAsync(ClaimedRun run, EpochMetrics metrics, CancellationToken ct) => control.RecordEpochAsync(workerId, run.RunId, metrics, ct);

    public Task ReportStepsAsync(ClaimedRun run, IReadOnlyList<StepLoss> steps, CancellationToken ct) => control.RecordStepsAsync(workerId, run.RunId, steps, ct);

    public async Task UploadCheckpointAsync(ClaimedRun run, string zipPath, CancellationToken ct)
    {
        await using var file = File.OpenRead(zipPath);
        await control.SaveCheckpointAsync(workerId, run.RunId, file, ct);
    }

    public async Task UploadModelAsync(ClaimedRun run, string modelPath, CancellationToken ct)
    {
        await using var file = File.OpenRead(modelPath);
        await control.SaveModelAsync(workerId, run.RunId, file, ct);
    }

    public Task CompleteAsync(ClaimedRun run, TrainingResult result, CancellationToken ct) => control.CompleteAsync(workerId, run.RunId, result, ct);

    public Task ReleaseAsync(ClaimedRun run, CancellationToken ct) => control.ReleaseAsync(workerId, run.RunId, ct);

    public Task FailAsync(ClaimedRun run, string error, bool retry, CancellationToken ct) => control.FailAsync(workerId, run.RunId, error, retry, ct);
}
