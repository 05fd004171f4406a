using TransferHub.Shared.Datasets;
using TransferHub.Web.Infrastructure;

namespace TransferHub.Web.Features.Datasets;

/// <summary>Something changed in a dataset that open pages should show at once.</summary>
public abstract record DatasetEvent(Guid DatasetId);

public sealed record ImportProgressed(Guid DatasetId, ImportDto Import) : DatasetEvent(DatasetId);

public sealed record LabelsChanged(Guid DatasetId, string UserId) : DatasetEvent(DatasetId);

public sealed record PresenceChanged(Guid DatasetId) : DatasetEvent(DatasetId);

/// <summary>
/// In-process fan-out of dataset events to the Blazor circuits watching a dataset, and to bridges that
/// want every dataset (the labeling hub's). Scale-out across web nodes comes with the Redis backplane.
/// </summary>
public sealed class DatasetEvents(ILogger<DatasetEvents> logger)
{
    private static readonly Guid Everything = Guid.Empty;
    private readonly Subscribers<Guid, DatasetEvent> _subscribers = new(logger);

    public IDisposable Subscribe(Guid datasetId, Func<DatasetEvent, Task> handler) => _subscribers.Subscribe(datasetId, handler);

    /// <summary>Every event of every dataset (for bridges such as the labeling hub's).</summary>
    public IDisposable SubscribeAll(Func<DatasetEvent, Task> handler) => _subscribers.Subscribe(Everything, handler);

    public Task PublishAsync(DatasetEvent e) =>
        Subscribers<Guid, DatasetEvent>.InvokeAllAsync(
            _subscribers.HandlersOf(e.DatasetId).Concat(_subscribers.HandlersOf(Everything)), e, logger, e.DatasetId);
}
