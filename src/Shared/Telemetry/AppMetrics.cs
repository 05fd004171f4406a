using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace TransferHub.Shared.Telemetry;

/// <summary>
/// The product's own instruments (meter and activity source <c>TransferHub</c>): what an operator watches beside
/// ASP.NET Core's request metrics. Exported by OpenTelemetry (OTLP when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set);
/// names and units are listed in the README.
/// </summary>
public sealed class AppMetrics
{
    /// <summary>The meter's and the activity source's name.</summary>
    public const string Name = "TransferHub";

    /// <summary>Spans of the product's own work (claims, epochs, submits, predictions, drift checks) inside a request's trace.</summary>
    public static readonly ActivitySource Activities = new(Name);

    private readonly Histogram<double> _claimWait;
    private readonly Counter<long> _leaseExpiries;
    private readonly Histogram<double> _epochDuration;
    private readonly Histogram<double> _submitDuration;
    private readonly Histogram<double> _predictDuration;
    private readonly Histogram<double> _driftDuration;
    private long _queueDepth = -1;

    /// <summary>Creates the instruments on a meter of <paramref name="meters"/> (one per host, so tests can run servers side by side).</summary>
    public AppMetrics(IMeterFactory meters)
    {
        var meter = meters.Create(Name);
        meter.CreateObservableGauge("transferhub.queue.depth", ObserveQueueDepth, "{run}",
            "Runs waiting for a worker, as of the last enqueue or claim.");
        _claimWait = meter.CreateHistogram<double>("transferhub.queue.claim_wait", "s",
            "How long a run waited in the queue before a worker claimed its first attempt.");
        _leaseExpiries = meter.CreateCounter<long>("transferhub.queue.lease_expiries", "{run}",
            "Runs handed out again because their worker's lease ran out (a worker that died or lost its connection).");
        _epochDuration = meter.CreateHistogram<double>("transferhub.training.epoch_duration", "s",
            "Trainer time of one epoch (or evaluation interval), as its worker reported it.");
        _submitDuration = meter.CreateHistogram<double>("transferhub.labeling.submit_duration", "s",
            "Server time to store a label and settle its item.");
        _predictDuration = meter.CreateHistogram<double>("transferhub.serving.predict_duration", "s",
            "Server time of one prediction request, model load included.");
        _driftDuration = meter.CreateHistogram<double>("transferhub.drift.check_duration", "s",
            "Time of one drift check of a model in production.");
    }

    /// <summary>Runs waiting for a worker now.</summary>
    public void QueueDepth(long pending) => Volatile.Write(ref _queueDepth, pending);

    /// <summary>A run's wait in the queue before its first claim.</summary>
    public void ClaimWaited(TimeSpan wait) => _claimWait.Record(Math.Max(0, wait.TotalSeconds));

    /// <summary>A run handed out again because its lease ran out.</summary>
    public void LeaseExpired() => _leaseExpiries.Add(1);

    /// <summary>One epoch's trainer time, in seconds.</summary>
    public void EpochReported(double seconds) => _epochDuration.Record(seconds);

    /// <summary>One label stored and its item settled; <paramref name="kind"/> says what was submitted.</summary>
    public void LabelSubmitted(TimeSpan took, string kind) => _submitDuration.Record(took.TotalSeconds, new KeyValuePair<string, object?>("kind", kind));

    /// <summary>One prediction request served or failed.</summary>
    // No model tag: the route's model is whatever a caller typed, and a tag per value would let anyone grow the series.
    public void Predicted(TimeSpan took, bool succeeded) => _predictDuration.Record(took.TotalSeconds,
        new KeyValuePair<string, object?>("outcome", succeeded ? "ok" : "error"));

    /// <summary>One drift check of a model.</summary>
    public void DriftChecked(TimeSpan took) => _driftDuration.Record(took.TotalSeconds);

    private IEnumerable<Measurement<long>> ObserveQueueDepth()
    {
        var depth = Volatile.Read(ref _queueDepth);
        return depth < 0 ? [] : [new Measurement<long>(depth)];
    }
}
