using Microsoft.EntityFrameworkCore;
using TransferHub.Shared.Datasets;
using TransferHub.Web.Data;
using TransferHub.Web.Features.Labeling;

namespace TransferHub.Web.Features.Versions;

/// <summary>A dataset version's items for other modules (no access check: callers check their own resource's access).</summary>
public sealed class VersionItems(IDbContextFactory<AppDbContext> dbFactory) : IDatasetItems
{
    public async Task<IReadOnlyList<VersionItemContent>> ItemsAsync(Guid datasetVersionId, IReadOnlyCollection<Split> splits, int? take, CancellationToken ct) =>
        await ReadAsync(datasetVersionId, null, splits, take, ct);

    public async Task<VersionItemContent?> ItemAsync(Guid datasetVersionId, Guid itemId, IReadOnlyCollection<Split> splits, CancellationToken ct) =>
        (await ReadAsync(datasetVersionId, itemId, splits, 1, ct)).SingleOrDefault();

    private async Task<IReadOnlyList<VersionItemContent>> ReadAsync(Guid versionId, Guid? itemId, IReadOnlyCollection<Split> splits, int? take, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var dataset = await (from v in db.DatasetVersions join d in db.Datasets on v.DatasetId equals d.Id where v.Id == versionId select d)
            .Include(d => d.Labels).AsNoTracking().SingleOrDefaultAsync(ct);
        if (dataset is null)
        {
            return [];
        }
        var query = from vi in db.VersionItems
                    join i in db.Items on vi.ItemId equals i.Id
                    where vi.VersionId == versionId && splits.Contains(vi.Split) && (itemId == null || vi.ItemId == itemId)
                    orderby i.Sequence
                    select new { i.Id, i.FileName, i.Text, i.BlobKey, vi.LabelIds };
        var rows = await (take is { } n ? query.Take(n) : query).AsNoTracking().ToListAsync(ct);
        return [.. rows.Select(r => new VersionItemContent(r.Id, r.FileName, r.Text, r.BlobKey, LabelingService.Names(dataset, r.LabelIds)))];
    }
}
