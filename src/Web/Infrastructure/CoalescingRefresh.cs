namespace TransferHub.Web.Infrastructure;

/// <summary>
/// Runs a refresh in the background when asked, never two at once and never a backlog: requests that arrive while one
/// runs fold into a single follow-up. The publisher — a worker reporting an epoch — never waits for it. With a minimum
/// interval, refreshes also start at most that often: a page fed by events faster than a person reads (an epoch every
/// few hundred milliseconds, step losses four times a second from each running run) shows the latest state at that pace
/// instead of reloading and re-rendering back to back. The first request after a quiet spell runs at once.
/// </summary>
public sealed class CoalescingRefresh(
    Func<Task> refresh, Action<Exception> onError, TimeSpan minInterval = default, TimeProvider? time = null,
    CancellationToken stop = default)
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly Lock _gate = new();
    private bool _running;
    private bool _again;
    private long? _lastStart;

    /// <summary>Starts a refresh, or asks for one more after the refresh in progress (or the interval); returns at once.</summary>
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
                await UntilIntervalPassedAsync();
                lock (_gate)
                {
                    _again = false; // what was asked for while waiting, this refresh shows
                }
                _lastStart = _time.GetTimestamp();
                await refresh();
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return; // the owner is gone: nothing more to show, and no request will come
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
            }
        }
    }

    private Task UntilIntervalPassedAsync()
    {
        if (_lastStart is not { } last || minInterval <= TimeSpan.Zero)
        {
            return Task.CompletedTask;
        }
        var wait = minInterval - _time.GetElapsedTime(last);
        return wait > TimeSpan.Zero ? Task.Delay(wait, _time, stop) : Task.CompletedTask;
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
