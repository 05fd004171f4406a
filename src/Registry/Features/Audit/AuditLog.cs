using System.Security.Claims;
using Microsoft.EntityFrameworkCore;
using TransferHub.Shared.Registry;
using TransferHub.Registry.Features.Models;

namespace TransferHub.Registry.Features.Audit;

/// <summary>
/// The registry's append-only audit log: entries are added in the same transaction as the change they record,
/// and nothing in the app updates or deletes them.
/// </summary>
public sealed class AuditLog(IRegistryDatabase database, TimeProvider clock)
{
    /// <summary>Adds an entry to <paramref name="db"/>; it is saved with the caller's change.</summary>
    public void Append(DbContext db, ClaimsPrincipal actor, Guid modelId, string action, int? version, string detail) =>
        db.AuditEntries().Add(new AuditEntry
        {
            ModelId = modelId, At = clock.GetUtcNow(), ActorId = actor.FindFirstValue(ClaimTypes.NameIdentifier) ?? "system",
            Actor = actor.Identity?.Name ?? "system", Action = action, Version = version, Detail = detail,
        });

    public void AppendSystem(DbContext db, Guid modelId, string action, int? version, string detail) =>
        db.AuditEntries().Add(new AuditEntry { ModelId = modelId, At = clock.GetUtcNow(), ActorId = "system", Actor = "drift monitor", Action = action, Version = version, Detail = detail });

    public async Task<IReadOnlyList<AuditEntryDto>> ListAsync(Guid modelId, CancellationToken ct)
    {
        await using var db = await database.OpenAsync(ct);
        var rows = await db.AuditEntries().AsNoTracking().Where(a => a.ModelId == modelId).OrderBy(a => a.Sequence).ToListAsync(ct);
        return [.. rows.Select(a => new AuditEntryDto(a.Sequence, a.At, a.Actor, a.Action, a.Version, a.Detail))];
    }
}
