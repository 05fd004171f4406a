using Microsoft.EntityFrameworkCore;
using TransferHub.Shared.Experiments;
using TransferHub.Web.Data;

namespace TransferHub.Web.Features.Experiments;

/// <summary>The experiments' side of a registered version's lineage, as the registry asks for it.</summary>
public sealed class RunLineage(IDbContextFactory<AppDbContext> dbFactory) : IRunLineage
{
    public async Task<IReadOnlyDictionary<Guid, string>> ExperimentNamesAsync(IReadOnlyCollection<Guid> experimentIds, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.Experiments.Where(e => experimentIds.Contains(e.Id)).ToDictionaryAsync(e => e.Id, e => e.Name, ct);
    }
}
