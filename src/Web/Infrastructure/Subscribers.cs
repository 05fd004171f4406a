using System.Collections.Concurrent;

namespace TransferHub.Web.Infrastructure;

/// <summary>
/// In-process fan-out of messages to handlers grouped by a key (a user, a dataset, an experiment): the
/// singleton-notifier pattern the portal's pages use instead of a hub connection back to their own app.
/// A failing handler (a closed page) is logged and never stops the others or the publisher.
/// </summary>
public sealed class Subscribers<TKey, TMessage>(ILogger logger) where TKey : notnull
{
    private readonly ConcurrentDictionary<TKey, ConcurrentDictionary<Guid, Func<TMessage, Task>>> _byKey = new();

    public IDisposable Subscribe(TKey key, Func<TMessage, Task> handler)
    {
        var id = Guid.NewGuid();
        _byKey.GetOrAdd(key, _ => new()).TryAdd(id, handler);
        return new Unsubscriber(() => _byKey.GetValueOrDefault(key)?.TryRemove(id, out _));
    }

    public IEnumerable<Func<TMessage, Task>> HandlersOf(TKey key) => _byKey.GetValueOrDefault(key)?.Values ?? [];

    public static async Task InvokeAllAsync(IEnumerable<Func<TMessage, Task>> handlers, TMessage message, ILogger logger, TKey key)
    {
        foreach (var handler in handlers)
        {
            try
            {
                await handler(message);
            }
            catch (Exception e)
            {
                logger.LogWarning(e, "A subscriber of {Key} failed on {Message}", key, message);
            }
        }
    }

    public Task PublishAsync(TKey key, TMessage message) => InvokeAllAsync(HandlersOf(key), message, logger, key);

    private sealed class Unsubscriber(Action action) : IDisposable
    {
        private Action? _action = action;
        public void Dispose() => Interlocked.Exchange(ref _action, null)?.Invoke();
    }
}
