using TransferHub.Shared.Datasets;
using TransferHub.Web.Infrastructure;

namespace TransferHub.Web.Features.Datasets;

/// <summary>Something changed in a dataset that open pages should show at once.</summary>
public abstract record DatasetEvent(Guid DatasetId);

public sealed record ImportProgressed(Guid DatasetId, ImportDto Import) : DatasetEvent(DatasetId);

public sealed record LabelsChanged(Guid DatasetId, string UserId) : DatasetEvent(DatasetId);

public sealed record PresenceChanged(Guid DatasetId) : DatasetEvent(DatasetId);

/// <summary>
/// Fan-out of dataset events to the Blazor circuits watching a dataset, and to bridges that want every dataset (the
/// labeling hub's). With Redis configured, the pages of the other web nodes hear each event too; the bridges hear
/// only their own node's, since what they send to hub clients already crosses nodes on the SignalR backplane.
/// </summary>
public sealed class DatasetEvents(ILogger<DatasetEvents> logger)
{
    /// <summary>Set at start when the web runs on several nodes (<see cref="Infrastructure.RedisEventRelay"/>).</summary>
    internal IDatasetEventRelay? Relay { get; set; }

    private static readonly Guid Everything = Guid.Empty;
    private readonly Subscribers<Guid, DatasetEvent> _subscribers = new(logger);

    public IDisposable Subscribe(Guid datasetId, Func<DatasetEvent, Task> handler) => _subscribers.Subscribe(datasetId, handler);

    /// <summary>Every event of every dataset (for bridges such as the labeling hub's).</summary>
    public IDisposable SubscribeAll(Func<DatasetEvent, Task> handler) => _subscribers.Subscribe(Everything, handler);

    public async Task PublishAsync(DatasetEvent e)
    {
        await Subscribers<Guid, DatasetEvent>.InvokeAllAsync(
            _subscribers.HandlersOf(e.DatasetId).Concat(_subscribers.HandlersOf(Everything)), e, logger, e.DatasetId);
        if (Relay is { } relay)
        {
            await relay.PublishAsync(e);
        }
    }

    /// <summary>An event from another node: to this node's pages only (what the relay calls when a message arrives).</summary>
    internal Task PublishFromOtherNodeAsync(DatasetEvent e) => _subscribers.PublishAsync(e.DatasetId, e);
}

/// <summary>Carries dataset events to the other web nodes.</summary>
internal interface IDatasetEventRelay
{
    Task PublishAsync(DatasetEvent e);
}
