using TransferHub.Shared.Telemetry;
using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;

namespace TransferHub.Tests.Unit.Web;

/// <summary>
/// Records what the product's instruments measure, for one meter factory only (tests run in parallel, each server
/// with its own factory): pass a server's <see cref="IServiceProvider"/>, or use <see cref="Metrics"/> for a unit.
/// </summary>
public sealed class MetricsRecorder : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly ConcurrentQueue<(string Instrument, double Value, KeyValuePair<string, object?>[] Tags)> _measurements = new();
    private readonly ServiceProvider? _own;

    public MetricsRecorder(IServiceProvider? services = null)
    {
        if (services is null)
        {
            _own = new ServiceCollection().AddMetrics().AddSingleton<AppMetrics>().BuildServiceProvider();
            services = _own;
        }
        var factory = services.GetRequiredService<IMeterFactory>();
        Metrics = services.GetRequiredService<AppMetrics>();
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == AppMetrics.Name && ReferenceEquals(instrument.Meter.Scope, factory))
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<double>((i, v, tags, _) => _measurements.Enqueue((i.Name, v, tags.ToArray())));
        _listener.SetMeasurementEventCallback<long>((i, v, tags, _) => _measurements.Enqueue((i.Name, v, tags.ToArray())));
        _listener.Start();
    }

    public AppMetrics Metrics { get; }

    /// <summary>Values recorded so far by the instrument (observable gauges are read now).</summary>
    public IReadOnlyList<double> Values(string instrument)
    {
        _listener.RecordObservableInstruments();
        return [.. _measurements.Where(m => m.Instrument == instrument).Select(m => m.Value)];
    }

    public IReadOnlyList<KeyValuePair<string, object?>[]> Tags(string instrument) =>
        [.. _measurements.Where(m => m.Instrument == instrument).Select(m => m.Tags)];

    public void Dispose()
    {
        _listener.Dispose();
        _own?.Dispose();
    }
}
