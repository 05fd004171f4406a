using System.Collections.Concurrent;
using TransferHub.Shared.Datasets;

namespace TransferHub.Web.Features.Datasets;

/// <summary>Something changed in a dataset that open pages should show at once.</summary>
public abstract record DatasetEvent(Guid DatasetId);

public sealed record ImportProgressed(Guid DatasetId, ImportDto Import) : DatasetEvent(DatasetId);

public sealed record LabelsChanged(Guid DatasetId, string UserId) : DatasetEvent(DatasetId);

public sealed record PresenceChanged(Guid DatasetId) : DatasetEvent(DatasetId);

/// <summary>
/// In-process fan-out of dataset events to the Blazor circuits watching a dataset (singleton notifier:
/// circuits already ride on SignalR). Scale-out across web nodes comes with the Redis backplane.
/// </summary>
public sealed class DatasetEvents(ILogger<DatasetEvents> logger)
{
    private readonly ConcurrentDictionary<Guid, ConcurrentDictionary<Guid, Func<DatasetEvent, Task>>> _subscribers = new();
    private readonly ConcurrentDictionary<Guid, Func<DatasetEvent, Task>> _everything = new();

    /// <summary>Every event of every dataset (for bridges such as the labeling hub's).</summary>
    public IDisposable SubscribeAll(Func<DatasetEvent, Task> handler)
    {
        var id = Guid.NewGuid();
        _everything.TryAdd(id, handler);
        return new Unsubscriber(() => _everything.TryRemove(id, out _));
    }

    public IDisposable Subscribe(Guid datasetId, Func<DatasetEvent, Task> handler)
    {
        var id = Guid.NewGuid();
        _subscribers.GetOrAdd(datasetId, _ => new()).TryAdd(id, handler);
        return new Unsubscriber(() => _subscribers.GetValueOrDefault(datasetId)?.TryRemove(id, out _));
    }

    public async Task PublishAsync(DatasetEvent e)
    {
        var handlers = _subscribers.TryGetValue(e.DatasetId, out var forDataset) ? forDataset.Values : [];
        foreach (var handler in handlers.Concat(_everything.Values))
        {
            try
            {
                await handler(e);
            }
            catch (Exception ex)
            {
                // A closed or broken page must not stop the others.
                logger.LogWarning(ex, "A subscriber of dataset {DatasetId} failed on {Event}", e.DatasetId, e.GetType().Name);
            }
        }
    }

    private sealed class Unsubscriber(Action action) : IDisposable
    {
        private Action? _action = action;
        public void Dispose() => Interlocked.Exchange(ref _action, null)?.Invoke();
    }
}
