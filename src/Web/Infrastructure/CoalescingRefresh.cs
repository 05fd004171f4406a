namespace TransferHub.Web.Infrastructure;

/// <summary>
/// Runs a refresh in the background when asked, never two at once and never a backlog: requests that arrive while one
/// runs fold into a single follow-up. A page fed by events faster than it reloads (sub-second epochs on a GPU, several
/// runs at once) reloads as often as it can, and the publisher — a worker reporting an epoch — never waits for it.
/// </summary>
public sealed class CoalescingRefresh(Func<Task> refresh, Action<Exception> onError)
{
    private readonly Lock _gate = new();
    private bool _running;
    private bool _again;

    /// <summary>Starts a refresh, or asks for one more after the refresh in progress; returns at once.</summary>
    public void Request()
    {
        lock (_gate)
        {
            if (_running)
            {
                _again = true;
                return;
            }
            _running = true;
        }
        _ = RunAsync();
    }

    private async Task RunAsync()
    {
        while (true)
        {
            try
            {
                await refresh();
            }
            catch (Exception e)
            {
                Report(e);
            }
            lock (_gate)
            {
                if (!_again)
                {
                    _running = false;
                    return;
                }
                _again = false;
            }
        }
    }

    private void Report(Exception e)
    {
        try
        {
            onError(e);
        }
        catch (ObjectDisposedException)
        {
            // The page that would show it is gone; the next request must still find the refresher idle.
        }
    }
}
