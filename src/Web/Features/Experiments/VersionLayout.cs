using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using TransferHub.Registry.Features.Artifacts;
using TransferHub.Shared.Datasets;
using TransferHub.Web.Data;
using TransferHub.Web.Features.Datasets;

namespace TransferHub.Web.Features.Experiments;

/// <summary>A dataset version written to disk the way the engine reads it (for training and for transferability scores).</summary>
public static class VersionLayout
{
    /// <summary>Writes the version as the engine reads it: ImageFolder train/validation/test folders, or three .jsonl files.</summary>
    public static async Task<string> WriteAsync(IDbContextFactory<AppDbContext> dbFactory, IArtifactStore artifacts, Guid versionId, string folder, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var version = await db.DatasetVersions.AsNoTracking().SingleOrDefaultAsync(v => v.Id == versionId, ct)
            ?? throw new NotFoundException("The dataset version of this run was deleted.");
        var dataset = await db.Datasets.AsNoTracking().Include(d => d.Labels).SingleAsync(d => d.Id == version.DatasetId, ct);
        var names = dataset.Labels.ToDictionary(l => l.Id, l => l.Name);
        var rows = await (from v in db.VersionItems.AsNoTracking()
                          join i in db.Items.AsNoTracking() on v.ItemId equals i.Id
                          where v.VersionId == versionId
                          orderby i.ContentHash // the same order whatever the import order, so a version trains the same everywhere
                          select new { i.Text, i.BlobKey, i.ContentHash, v.LabelIds, v.Split }).ToListAsync(ct);
        var data = Path.Combine(folder, "data");
        Directory.CreateDirectory(data);
        if (dataset.Kind == DatasetKind.Text)
        {
            foreach (var split in Enum.GetValues<Split>())
            {
                var lines = rows.Where(r => r.Split == split).Select(r => JsonSerializer.Serialize(new { text = r.Text, label = names[LabelIds.Parse(r.LabelIds)[0]], id = r.ContentHash[..16] }));
                await File.WriteAllLinesAsync(Path.Combine(data, $"{split.ToString().ToLowerInvariant()}.jsonl"), lines, ct);
            }
            return Path.Combine(data, "train.jsonl");
        }
        foreach (var row in rows)
        {
            var label = names[LabelIds.Parse(row.LabelIds)[0]];
            var target = Path.Combine(data, row.Split.ToString().ToLowerInvariant(), Safe(label));
            Directory.CreateDirectory(target);
            await using var source = await artifacts.OpenReadAsync(row.BlobKey!, ct);
            await using var file = File.Create(Path.Combine(target, row.ContentHash[..16] + Path.GetExtension(row.BlobKey)));
            await source.CopyToAsync(file, ct);
        }
        return data;
    }

    private static string Safe(string label) =>
        new([.. label.Select(c => Path.GetInvalidFileNameChars().Contains(c) ? '_' : c)]);
}
