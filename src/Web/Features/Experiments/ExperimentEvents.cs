using TransferHub.Web.Infrastructure;

namespace TransferHub.Web.Features.Experiments;

/// <summary>In-process fan-out of "this experiment changed" to the pages watching it.</summary>
public sealed class ExperimentEvents(ILogger<ExperimentEvents> logger)
{
    private readonly Subscribers<Guid, Guid> _subscribers = new(logger);
    private readonly Subscribers<Guid, Shared.Experiments.StepBatch> _steps = new(logger);

    public IDisposable Subscribe(Guid experimentId, Func<Task> handler) => _subscribers.Subscribe(experimentId, _ => handler());

    public Task PublishAsync(Guid experimentId) => _subscribers.PublishAsync(experimentId, experimentId);

    /// <summary>Per-step losses of a run of the experiment, a few times a second while it trains (not a full refresh).</summary>
    public IDisposable SubscribeSteps(Guid experimentId, Func<Shared.Experiments.StepBatch, Task> handler) => _steps.Subscribe(experimentId, handler);

    public Task PublishStepsAsync(Guid experimentId, Shared.Experiments.StepBatch batch) => _steps.PublishAsync(experimentId, batch);
}
