namespace TransferHub.Shared.Experiments;

/// <summary>State of one run (arm × seed × label fraction) in the job queue.</summary>
public enum RunStatus
{
    /// <summary>Waiting for a worker.</summary>
    Pending,
    /// <summary>Leased by a worker until its lease runs out.</summary>
    Running,
    /// <summary>Finished with results.</summary>
    Succeeded,
    /// <summary>Failed its last attempt; the error says why.</summary>
    Failed,
    /// <summary>Cancelled by a person.</summary>
    Cancelled,
}

/// <summary>A run handed to a worker: what to train, which attempt this is, and where to resume from.</summary>
public sealed record ClaimedRun(Guid RunId, Guid ExperimentId, int Attempt, string SpecJson, string? CheckpointKey, DateTimeOffset LeaseUntil);

/// <summary>The answer to a heartbeat: the new lease end, or that the worker must stop (cancelled, or the lease was lost).</summary>
public sealed record HeartbeatReply(bool Continue, DateTimeOffset? LeaseUntil, string? Reason);

/// <summary>
/// What a training worker may do, whether it runs inside the web process or on a GPU machine talking
/// over the worker hub: one interface, so both paths are the same code and the same tests.
/// </summary>
public interface ITrainingControlPlane
{
    /// <summary>Claims the next runnable job for <paramref name="workerId"/>, or null when there is none.</summary>
    Task<ClaimedRun?> ClaimAsync(string workerId, CancellationToken ct);

    /// <summary>Extends the lease; optionally records the latest checkpoint to resume from.</summary>
    Task<HeartbeatReply> HeartbeatAsync(Guid runId, string workerId, string? checkpointKey, CancellationToken ct);

    /// <summary>Finishes a run with its result (JSON of the engine's training result).</summary>
    Task CompleteAsync(Guid runId, string workerId, string resultJson, CancellationToken ct);

    /// <summary>Reports a failed attempt; the run returns to the queue until its attempts are used up, or fails at once
    /// when <paramref name="retry"/> is false (a diverged loss, a deleted dataset version: another attempt would fail the same way).</summary>
    Task FailAsync(Guid runId, string workerId, string error, CancellationToken ct, bool retry = true);
}
