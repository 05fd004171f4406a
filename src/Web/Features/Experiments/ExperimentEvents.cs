using System.Collections.Concurrent;

namespace TransferHub.Web.Features.Experiments;

/// <summary>In-process fan-out of "this experiment changed" to the pages watching it (same pattern as dataset events).</summary>
public sealed class ExperimentEvents(ILogger<ExperimentEvents> logger)
{
    private readonly ConcurrentDictionary<Guid, ConcurrentDictionary<Guid, Func<Task>>> _subscribers = new();

    public IDisposable Subscribe(Guid experimentId, Func<Task> handler)
    {
        var id = Guid.NewGuid();
        _subscribers.GetOrAdd(experimentId, _ => new()).TryAdd(id, handler);
        return new Unsubscriber(() => _subscribers.GetValueOrDefault(experimentId)?.TryRemove(id, out _));
    }

    public async Task PublishAsync(Guid experimentId)
    {
        foreach (var handler in _subscribers.GetValueOrDefault(experimentId)?.Values ?? [])
        {
            try
            {
                await handler();
            }
            catch (Exception e)
            {
                logger.LogWarning(e, "A watcher of experiment {ExperimentId} failed", experimentId);
            }
        }
    }

    private sealed class Unsubscriber(Action action) : IDisposable
    {
        private Action? _action = action;
        public void Dispose() => Interlocked.Exchange(ref _action, null)?.Invoke();
    }
}
