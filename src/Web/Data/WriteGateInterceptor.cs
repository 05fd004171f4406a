using System.Runtime.CompilerServices;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace TransferHub.Web.Data;

/// <summary>
/// Puts every <c>SaveChanges</c> outside an explicit transaction through the <see cref="WriteGate"/>, so no caller can
/// forget it. A save inside a transaction is the transaction owner's to gate (it holds SQLite's lock until commit).
/// </summary>
internal sealed class WriteGateInterceptor(WriteGate gate) : SaveChangesInterceptor
{
    private readonly ConditionalWeakTable<DbContext, IDisposable> _held = [];

    public override InterceptionResult<int> SavingChanges(DbContextEventData eventData, InterceptionResult<int> result)
    {
        if (NeedsGate(eventData.Context, out var context))
        {
            _held.AddOrUpdate(context, gate.Enter());
        }
        return result;
    }

    public override async ValueTask<InterceptionResult<int>> SavingChangesAsync(DbContextEventData eventData, InterceptionResult<int> result,
        CancellationToken cancellationToken = default)
    {
        if (NeedsGate(eventData.Context, out var context))
        {
            _held.AddOrUpdate(context, await gate.EnterAsync(cancellationToken));
        }
        return result;
    }

    public override int SavedChanges(SaveChangesCompletedEventData eventData, int result)
    {
        Leave(eventData.Context);
        return result;
    }

    public override ValueTask<int> SavedChangesAsync(SaveChangesCompletedEventData eventData, int result, CancellationToken cancellationToken = default)
    {
        Leave(eventData.Context);
        return ValueTask.FromResult(result);
    }

    public override void SaveChangesFailed(DbContextErrorEventData eventData) => Leave(eventData.Context);

    public override Task SaveChangesFailedAsync(DbContextErrorEventData eventData, CancellationToken cancellationToken = default)
    {
        Leave(eventData.Context);
        return Task.CompletedTask;
    }

    public override void SaveChangesCanceled(DbContextEventData eventData) => Leave(eventData.Context);

    public override Task SaveChangesCanceledAsync(DbContextEventData eventData, CancellationToken cancellationToken = default)
    {
        Leave(eventData.Context);
        return Task.CompletedTask;
    }

    private static bool NeedsGate(DbContext? context, out DbContext gated)
    {
        gated = context!;
        return context is not null && context.Database.CurrentTransaction is null;
    }

    private void Leave(DbContext? context)
    {
        if (context is not null && _held.TryGetValue(context, out var held))
        {
            _held.Remove(context);
            held.Dispose();
        }
    }
}
