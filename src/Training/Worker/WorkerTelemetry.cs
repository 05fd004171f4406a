using System.Diagnostics;
using OpenTelemetry;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using TransferHub.Shared.Experiments;

namespace TransferHub.Training.Worker;

/// <summary>
/// The worker's side of a run's trace: <c>run.train</c> continues the trace that queued the run (the claim carries its
/// traceparent), with an event per epoch; the worker's HTTP calls inside it carry the trace on to the server.
/// </summary>
public static class WorkerTelemetry
{
    public const string SourceName = "TransferHub.Worker";
    public static readonly ActivitySource Source = new(SourceName);

    public static Activity? StartRun(ClaimedRun run)
    {
        // No (or a malformed) traceparent, from a run queued before traces were kept: the run starts a trace of its own.
        ActivityContext.TryParse(run.TraceParent, null, out var parent);
        var activity = Source.StartActivity("run.train", ActivityKind.Consumer, parent);
        activity?.SetTag("transferhub.run.id", run.RunId.ToString());
        activity?.SetTag("transferhub.experiment.id", run.ExperimentId.ToString());
        activity?.SetTag("transferhub.run.attempt", run.Attempt);
        return activity;
    }

    /// <summary>Exports the worker's spans (and its HTTP client's) over OTLP when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set,
    /// as the web does; the embedded worker inherits the server's environment. Null otherwise: nothing leaves the process.</summary>
    public static TracerProvider? ExportIfConfigured() =>
        string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable("OTEL_EXPORTER_OTLP_ENDPOINT"))
            ? null
            : Sdk.CreateTracerProviderBuilder()
                .ConfigureResource(r => r.AddService("transferhub-worker"))
                .AddSource(SourceName, "System.Net.Http")
                .AddOtlpExporter()
                .Build();
}
