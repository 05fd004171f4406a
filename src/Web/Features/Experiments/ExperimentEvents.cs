using TransferHub.Shared.Experiments;
using TransferHub.Web.Infrastructure;

namespace TransferHub.Web.Features.Experiments;

/// <summary>
/// Fan-out of "this experiment changed" (and of its per-step losses) to the pages watching it. In one process by
/// default; with Redis configured every publish goes through Redis, so the pages of every web node hear it.
/// </summary>
public sealed class ExperimentEvents(ILogger<ExperimentEvents> logger)
{
    private readonly Subscribers<Guid, Guid> _subscribers = new(logger);
    private readonly Subscribers<Guid, StepBatch> _steps = new(logger);

    /// <summary>Set at start when the web runs on several nodes (<see cref="Infrastructure.RedisEventRelay"/>).</summary>
    internal IExperimentEventRelay? Relay { get; set; }

    public IDisposable Subscribe(Guid experimentId, Func<Task> handler) => _subscribers.Subscribe(experimentId, _ => handler());

    public Task PublishAsync(Guid experimentId) => Relay?.ChangedAsync(experimentId) ?? PublishHereAsync(experimentId);

    /// <summary>Per-step losses of a run of the experiment, a few times a second while it trains (not a full refresh).</summary>
    public IDisposable SubscribeSteps(Guid experimentId, Func<StepBatch, Task> handler) => _steps.Subscribe(experimentId, handler);

    public Task PublishStepsAsync(Guid experimentId, StepBatch batch) => Relay?.StepsAsync(experimentId, batch) ?? PublishStepsHereAsync(experimentId, batch);

    /// <summary>To this node's subscribers only (what the relay calls when a message arrives).</summary>
    internal Task PublishHereAsync(Guid experimentId) => _subscribers.PublishAsync(experimentId, experimentId);

    internal Task PublishStepsHereAsync(Guid experimentId, StepBatch batch) => _steps.PublishAsync(experimentId, batch);
}

/// <summary>Carries experiment events between web nodes.</summary>
internal interface IExperimentEventRelay
{
    Task ChangedAsync(Guid experimentId);

    Task StepsAsync(Guid experimentId, StepBatch batch);
}
