using TransferHub.Shared.Experiments;
using TransferHub.Shared.Training;

namespace TransferHub.Training.Worker;

/// <summary>
/// The server as a worker sees it. The in-process worker talks to it directly, a remote worker over the
/// worker hub and HTTP; <see cref="RunExecutor"/> is the same code for both.
/// </summary>
public interface IWorkerHost
{
    string WorkerId { get; }

    /// <summary>How often a running worker extends its lease (a fraction of the server's lease).</summary>
    TimeSpan HeartbeatInterval { get; }

    Task<ClaimedRun?> ClaimAsync(CancellationToken ct);

    /// <summary>Returns when work may be available (runs were queued) or after <paramref name="timeout"/>.</summary>
    Task WaitForWorkAsync(TimeSpan timeout, CancellationToken ct);

    Task<HeartbeatReply> HeartbeatAsync(ClaimedRun run, CancellationToken ct);

    /// <summary>Lays the run's dataset version out under <paramref name="folder"/>; returns the path the engine reads (ImageFolder root or train.jsonl).</summary>
    Task<string> DownloadDatasetAsync(ClaimedRun run, RunPlan plan, string folder, CancellationToken ct);

    /// <summary>Writes the run's source model (safetensors) to <paramref name="path"/>.</summary>
    Task DownloadSourceAsync(ClaimedRun run, string path, CancellationToken ct);

    /// <summary>Writes the checkpoint zip the run resumes from to <paramref name="path"/>.</summary>
    Task DownloadCheckpointAsync(ClaimedRun run, string path, CancellationToken ct);

    Task ReportEpochAsync(ClaimedRun run, EpochMetrics metrics, CancellationToken ct);

    /// <summary>Per-step losses since the last call (batched by the executor, a few times a second).</summary>
    Task ReportStepsAsync(ClaimedRun run, IReadOnlyList<StepLoss> steps, CancellationToken ct);

    /// <summary>Stores the zipped checkpoint folder; the next attempt of this run resumes from it.</summary>
    Task UploadCheckpointAsync(ClaimedRun run, string zipPath, CancellationToken ct);

    Task UploadModelAsync(ClaimedRun run, string modelPath, CancellationToken ct);

    Task CompleteAsync(ClaimedRun run, TrainingResult result, CancellationToken ct);

    /// <summary>Hands the run back on a graceful shutdown: it waits for the next worker at once and resumes from the last checkpoint.</summary>
    Task ReleaseAsync(ClaimedRun run, CancellationToken ct);

    /// <param name="retry">False when another attempt would fail the same way (diverged loss, missing data).</param>
    Task FailAsync(ClaimedRun run, string error, bool retry, CancellationToken ct);
}
