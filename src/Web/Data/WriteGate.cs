namespace TransferHub.Web.Data;

/// <summary>
/// Serialises short write transactions on SQLite, which allows one writer at a time: waiting here is
/// a queue in memory, while waiting inside SQLite is a busy-retry loop with sleeps that turns
/// milliseconds into hundreds under concurrent annotators. On SQL Server and PostgreSQL the gate is open.
/// Every <c>SaveChanges</c> outside an explicit transaction passes it on its own (<see cref="WriteGateInterceptor"/>);
/// callers enter it themselves around bulk updates and transactions. Re-entrant along one async flow: a save inside
/// a section that already holds the gate does not wait for itself.
/// </summary>
public sealed class WriteGate(DatabaseProvider provider)
{
    private readonly SemaphoreSlim? _gate = provider == DatabaseProvider.Sqlite ? new SemaphoreSlim(1, 1) : null;
    private readonly AsyncLocal<Holder?> _holder = new();
    private int _waiting;

    /// <summary>Callers waiting to enter (for tests and diagnostics).</summary>
    internal int Waiting => Volatile.Read(ref _waiting);

    // Not async on purpose: the holder is set in the caller's execution context, so what the caller awaits while it
    // holds the gate (a SaveChanges passing the interceptor) sees it and does not wait for itself.
    public ValueTask<IDisposable> EnterAsync(CancellationToken ct)
    {
        if (_gate is null || _holder.Value is { Active: true })
        {
            return ValueTask.FromResult<IDisposable>(Open.Instance);
        }
        var holder = new Holder();
        _holder.Value = holder;
        return AcquireAsync(_gate, holder, ct);
    }

    /// <summary>The synchronous form, for EF Core's synchronous <c>SaveChanges</c>.</summary>
    public IDisposable Enter()
    {
        if (_gate is null || _holder.Value is { Active: true })
        {
            return Open.Instance;
        }
        Interlocked.Increment(ref _waiting);
        try
        {
            _gate.Wait();
        }
        finally
        {
            Interlocked.Decrement(ref _waiting);
        }
        return new Release(_gate, null);
    }

    private async ValueTask<IDisposable> AcquireAsync(SemaphoreSlim gate, Holder holder, CancellationToken ct)
    {
        Interlocked.Increment(ref _waiting);
        try
        {
            await gate.WaitAsync(ct);
        }
        finally
        {
            Interlocked.Decrement(ref _waiting);
        }
        holder.Active = true;
        return new Release(gate, holder);
    }

    private sealed class Holder
    {
        public volatile bool Active;
    }

    private sealed class Release(SemaphoreSlim gate, Holder? holder) : IDisposable
    {
        private SemaphoreSlim? _gate = gate;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _gate, null) is { } g)
            {
                holder?.Active = false;
                g.Release();
            }
        }
    }

    private sealed class Open : IDisposable
    {
        public static readonly Open Instance = new();
        public void Dispose() { }
    }
}
