using TransferHub.Web.Infrastructure;

namespace TransferHub.Web.Features.Experiments;

/// <summary>In-process fan-out of "this experiment changed" to the pages watching it.</summary>
public sealed class ExperimentEvents(ILogger<ExperimentEvents> logger)
{
    private readonly Subscribers<Guid, Guid> _subscribers = new(logger);

    public IDisposable Subscribe(Guid experimentId, Func<Task> handler) => _subscribers.Subscribe(experimentId, _ => handler());

    public Task PublishAsync(Guid experimentId) => _subscribers.PublishAsync(experimentId, experimentId);
}
