namespace TransferHub.Shared.Experiments;

/// <summary>
/// The experiments hub (<c>/hubs/experiments</c>, people's cookies or personal tokens): live progress of
/// experiments for any SignalR client. Call <see cref="Watch"/>, then receive <see cref="EpochReported"/>
/// for every epoch of every run and <see cref="RunChanged"/> when a run is claimed, finishes, fails or stops.
/// The stored history is at <c>GET /api/experiments/{id}</c> and <c>GET /api/runs/{id}/metrics</c>.
/// </summary>
public static class ExperimentHubContract
{
    /// <summary>Where the hub is mapped.</summary>
    public const string Route = "/hubs/experiments";

    /// <summary>(experimentId): start receiving the experiment's messages; needs read access to its project.</summary>
    public const string Watch = nameof(Watch);

    /// <summary>(experimentId): stop receiving them.</summary>
    public const string Unwatch = nameof(Unwatch);

    /// <summary>Server → client: (RunMetricDto) one epoch of one run, as stored.</summary>
    public const string EpochReported = nameof(EpochReported);

    /// <summary>Server → client: (StepBatch) per-step training losses of a run, a few times a second while it trains.</summary>
    public const string StepsReported = nameof(StepsReported);

    /// <summary>Server → client: (RunChange) a run changed state.</summary>
    public const string RunChanged = nameof(RunChanged);
}

/// <summary>A run of a watched experiment changed state (claimed, succeeded, failed, cancelled, lease lost).</summary>
public sealed record RunChange(Guid ExperimentId, Guid RunId, RunStatus Status, int Attempt, string? Error);
