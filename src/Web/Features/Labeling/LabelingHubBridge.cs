using System.Collections.Concurrent;
using Microsoft.AspNetCore.SignalR;
using TransferHub.Shared.Datasets;
using TransferHub.Web.Features.Datasets;

namespace TransferHub.Web.Features.Labeling;

/// <summary>
/// Forwards dataset events to the labeling hub's groups. Progress is computed once per dataset and
/// interval, not once per connection and label: 20 annotators labeling fast cost one count query per
/// quarter second, not twenty per submit.
/// </summary>
public sealed class LabelingHubBridge(DatasetEvents events, DatasetService datasets, LabelingPresence presence,
    IHubContext<LabelingHub> hub, ILogger<LabelingHubBridge> logger) : IHostedService
{
    private static readonly TimeSpan ProgressInterval = TimeSpan.FromMilliseconds(250);
    private readonly ConcurrentDictionary<Guid, byte> _pending = new();
    private IDisposable? _subscription;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _subscription = events.SubscribeAll(OnEventAsync);
        return Task.CompletedTask;
    }

    private async Task OnEventAsync(DatasetEvent e)
    {
        var group = hub.Clients.Group(LabelingHub.Group(e.DatasetId));
        switch (e)
        {
            case PresenceChanged:
                await group.SendAsync("Presence", new LabelingPresenceMessage(e.DatasetId, [.. presence.Who(e.DatasetId).Select(a => a.Name)]));
                break;
            case LabelsChanged or ImportProgressed when _pending.TryAdd(e.DatasetId, 0):
                _ = SendProgressLaterAsync(e.DatasetId);
                break;
        }
    }

    private async Task SendProgressLaterAsync(Guid datasetId)
    {
        try
        {
            await Task.Delay(ProgressInterval);
            _pending.TryRemove(datasetId, out _);
            var (items, labeled) = await datasets.CountsAsync(datasetId, CancellationToken.None);
            await hub.Clients.Group(LabelingHub.Group(datasetId)).SendAsync("Progress", new LabelingProgressMessage(datasetId, items, labeled));
        }
        catch (Exception ex)
        {
            _pending.TryRemove(datasetId, out _);
            logger.LogWarning(ex, "Progress of dataset {DatasetId} was not sent", datasetId);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        _subscription?.Dispose();
        return Task.CompletedTask;
    }
}
