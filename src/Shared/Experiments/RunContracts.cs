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

/// <summary>A run handed to a worker: what to train, which attempt this is, and where to resume from. <c>TraceParent</c>:
/// the W3C traceparent of what queued the run, which the worker's <c>run.train</c> span continues.</summary>
public sealed record ClaimedRun(Guid RunId, Guid ExperimentId, int Attempt, string SpecJson, string? CheckpointKey, DateTimeOffset LeaseUntil,
    string? TraceParent = null);

/// <summary>The answer to a heartbeat: the new lease end, or that the worker must stop (cancelled, or the lease was lost).</summary>
public sealed record HeartbeatReply(bool Continue, DateTimeOffset? LeaseUntil, string? Reason);
