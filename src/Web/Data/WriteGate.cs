namespace TransferHub.Web.Data;

/// <summary>
/// Serialises short write transactions on SQLite, which allows one writer at a time: waiting here is
/// a queue in memory, while waiting inside SQLite is a busy-retry loop with sleeps that turns
/// milliseconds into hundreds under concurrent annotators. On SQL Server the gate is open.
/// </summary>
public sealed class WriteGate(DatabaseProvider provider)
{
    private readonly SemaphoreSlim? _gate = provider == DatabaseProvider.Sqlite ? new SemaphoreSlim(1, 1) : null;

    public async ValueTask<IDisposable> EnterAsync(CancellationToken ct)
    {
        if (_gate is null)
        {
            return Open.Instance;
        }
        await _gate.WaitAsync(ct);
        return new Release(_gate);
    }

    private sealed class Release(SemaphoreSlim gate) : IDisposable
    {
        private SemaphoreSlim? _gate = gate;
        public void Dispose() => Interlocked.Exchange(ref _gate, null)?.Release();
    }

    private sealed class Open : IDisposable
    {
        public static readonly Open Instance = new();
        public void Dispose() { }
    }
}
