using TransferHub.Shared.Training;

namespace TransferHub.Shared.Experiments;

/// <summary>
/// The worker hub (<c>/hubs/workers</c>, worker tokens only): how a remote training worker claims runs,
/// heartbeats, streams epoch metrics and finishes. Files (dataset version, source model, checkpoints, model)
/// travel over HTTP under <c>/api/worker/runs/{runId}/…</c>.
/// </summary>
public static class WorkerHubContract
{
    /// <summary>Where the hub is mapped.</summary>
    public const string Route = "/hubs/workers";

    /// <summary>Bumped when a message changes shape; a worker with another version is refused at <see cref="Register"/>.</summary>
    public const int ProtocolVersion = 1;

    /// <summary>(WorkerHello) → WorkerWelcome. First call of every connection (again after a reconnect).</summary>
    public const string Register = nameof(Register);
    /// <summary>() → ClaimedRun or null: the next run, leased to this worker.</summary>
    public const string Claim = nameof(Claim);
    /// <summary>(runId) → HeartbeatReply: extends the lease; Continue=false means stop (cancelled, or the lease was lost).</summary>
    public const string Heartbeat = nameof(Heartbeat);
    /// <summary>(EpochReport) → true: one epoch's metrics, stored and pushed to every page watching the experiment.</summary>
    public const string ReportEpoch = nameof(ReportEpoch);
    /// <summary>(StepBatch) → true: the training losses of the steps since the last batch (sent every 250 ms or so).</summary>
    public const string ReportSteps = nameof(ReportSteps);
    /// <summary>(runId, TrainingResult) → true, after the model was uploaded.</summary>
    public const string Complete = nameof(Complete);
    /// <summary>(runId, error, retry) → true: the run returns to the queue until its attempts are used up (or fails now when retry is false).</summary>
    public const string Fail = nameof(Fail);
    /// <summary>(runId) → released: a worker shutting down hands its run back at once, the attempt not counted.</summary>
    public const string Release = nameof(Release);

    // Server → worker.
    /// <summary>Runs were queued: idle workers claim at once instead of at their next poll.</summary>
    public const string WorkAvailable = nameof(WorkAvailable);
}

/// <summary>Sent once per connection: who the worker is and what it trains on.</summary>
public sealed record WorkerHello(string WorkerId, int ProtocolVersion, string Device, string? DeviceName, long? MemoryBytes, int CpuCores);

/// <summary>One epoch of a run, sent by its worker.</summary>
public sealed record EpochReport(Guid RunId, EpochMetrics Metrics);

/// <summary>Per-step training losses of one run, batched by the worker.</summary>
public sealed record StepBatch(Guid RunId, IReadOnlyList<StepLoss> Steps);

/// <summary>A worker as listed: device, what it runs now and when it was last heard from.</summary>
public sealed record WorkerDto(string WorkerId, string Kind, string Device, string? DeviceName, long? MemoryBytes, int CpuCores,
    bool Online, Guid? CurrentRunId, Guid? CurrentExperimentId, string? CurrentRun, DateTimeOffset ConnectedAt, DateTimeOffset LastSeenAt);

/// <summary>The server's answer to <see cref="WorkerHubContract.Register"/>: the lease a claim gets, so the worker heartbeats in time.</summary>
public sealed record WorkerWelcome(string WorkerId, TimeSpan Lease);
