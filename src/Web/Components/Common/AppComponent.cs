using Microsoft.AspNetCore.Components;

namespace TransferHub.Web.Components.Common;

/// <summary>
/// A page whose reads stop when it goes away: <see cref="Aborted"/> is cancelled when the component is disposed (the
/// person navigated elsewhere or closed the tab), so loads no longer run on for a page nobody sees. Writes a person
/// asked for (a transition, a save) keep running to the end on purpose: leaving the page must not half-do them.
/// Blazor ignores a lifecycle or event task that ends cancelled.
/// </summary>
public abstract class AppComponent : ComponentBase, IDisposable
{
    private readonly CancellationTokenSource _aborted = new();

    /// <summary>Cancelled when the component is disposed.</summary>
    protected CancellationToken Aborted => _aborted.Token;

    public void Dispose()
    {
        _aborted.Cancel();
        OnDisposing();
        GC.SuppressFinalize(this);
    }

    /// <summary>Releases what the page holds (subscriptions, timers) after <see cref="Aborted"/> is cancelled.</summary>
    protected virtual void OnDisposing()
    {
    }
}
