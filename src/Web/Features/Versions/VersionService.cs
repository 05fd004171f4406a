using System.Security.Claims;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using TransferHub.Shared.Common;
using TransferHub.Shared.Datasets;
using TransferHub.Web.Data;
using TransferHub.Web.Features.Datasets;
using TransferHub.Web.Features.Identity;
using TransferHub.Web.Infrastructure;

namespace TransferHub.Web.Features.Versions;

/// <summary>Snapshots of a dataset: immutable versions with a content hash and a stratified split, and their diffs.</summary>
public sealed class VersionService(IDbContextFactory<AppDbContext> dbFactory, DatasetService datasets, Projects.ProjectService projects, TimeProvider clock)
{
    public static readonly SplitRatios DefaultSplit = new(0.7, 0.15, 0.15);

    public async Task<VersionDto> CreateAsync(ClaimsPrincipal caller, Guid datasetId, CreateVersionRequest request, CancellationToken ct)
    {
        var (dataset, _) = await datasets.RequireAsync(caller, datasetId, a => a.CanEditData, ct);
        var ratios = Validate(request.Split ?? DefaultSplit);
        var seed = request.Seed ?? 42;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        // Settled items only: items waiting for a reviewer are left out (and counted in a warning).
        var items = await db.Items.AsNoTracking().Where(i => i.DatasetId == datasetId && i.FinalLabelIds != null)
            .Select(i => new { i.Id, i.ContentHash, i.FinalLabelIds }).ToListAsync(ct);
        if (items.Count == 0)
        {
            throw new ConflictException("Nothing is labeled yet: a version needs labeled items.");
        }
        var names = dataset.Labels.ToDictionary(l => l.Id, l => l.Name);
        string Stratum(string labelIds) => LabelIds.Parse(labelIds).Select(id => names.GetValueOrDefault(id, "?")).Order(StringComparer.Ordinal).First();
        var (splits, warnings) = StratifiedSplitter.Split([.. items.Select(i => new StratifiedSplitter.Entry(i.Id, i.ContentHash, Stratum(i.FinalLabelIds!)))], ratios, seed);
        var pending = await db.Items.CountAsync(i => i.DatasetId == datasetId && i.NeedsReview, ct);
        if (pending > 0)
        {
            warnings.Insert(0, $"{pending} item(s) with disagreeing labels wait for a reviewer and are not in this version.");
        }
        var counts = dataset.Labels.OrderBy(l => l.Order).Select(l =>
        {
            var id = l.Id.ToString();
            var of = items.Where(i => i.FinalLabelIds!.Contains(id)).Select(i => splits[i.Id]).ToList();
            return new LabelSplitCount(l.Name, of.Count(s => s == Split.Train), of.Count(s => s == Split.Validation), of.Count(s => s == Split.Test));
        }).ToList();
        var lines = items.Select(i => $"{i.ContentHash}\t{string.Join('|', LabelIds.Parse(i.FinalLabelIds).Select(id => names[id]).Order(StringComparer.Ordinal))}\t{splits[i.Id]}")
            .Order(StringComparer.Ordinal);
        var version = new DatasetVersion
        {
            DatasetId = datasetId,
            Note = request.Note?.Trim(),
            ContentHash = Hashing.Sha256Hex(string.Join('\n', lines)),
            Seed = seed, TrainRatio = ratios.Train, ValidationRatio = ratios.Validation, TestRatio = ratios.Test,
            ItemCount = items.Count,
            LabelCounts = JsonSerializer.Serialize(counts),
            Warnings = string.Join('\n', warnings),
            CreatedById = caller.UserId(),
            CreatedAt = clock.GetUtcNow(),
        };
        var strategy = db.Database.CreateExecutionStrategy();
        await strategy.ExecuteAsync(async () =>
        {
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            version.Number = (await db.DatasetVersions.Where(v => v.DatasetId == datasetId).MaxAsync(v => (int?)v.Number, ct) ?? 0) + 1;
            db.DatasetVersions.Add(version);
            db.VersionItems.AddRange(items.Select(i => new VersionItem { VersionId = version.Id, ItemId = i.Id, LabelIds = i.FinalLabelIds!, Split = splits[i.Id] }));
            await db.SaveChangesAsync(ct);
            await tx.CommitAsync(ct);
        });
        return ToDto(version);
    }

    public async Task<IReadOnlyList<VersionDto>> ListAsync(ClaimsPrincipal caller, Guid datasetId, CancellationToken ct)
    {
        await datasets.RequireAsync(caller, datasetId, a => a.CanRead, ct);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var versions = await db.DatasetVersions.AsNoTracking().Where(v => v.DatasetId == datasetId).ToListAsync(ct);
        return [.. versions.OrderByDescending(v => v.Number).Select(ToDto)];
    }

    /// <summary>
    /// Every version an experiment can start from: those of the datasets of projects where the caller edits data, by project
    /// name, dataset name and newest version first — in one query, not one per dataset.
    /// </summary>
    public async Task<IReadOnlyList<StartableVersion>> ListStartableAsync(ClaimsPrincipal caller, CancellationToken ct)
    {
        var editable = (await projects.ListAsync(caller, ct)).Where(p => caller.IsAdmin() || TransferHub.Shared.Projects.ProjectPermissions.CanEditData(p.MyRole)).ToList();
        var ids = editable.Select(p => p.Id).ToList();
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var rows = await db.DatasetVersions.AsNoTracking()
            .Join(db.Datasets.Where(d => ids.Contains(d.ProjectId)), v => v.DatasetId, d => d.Id, (v, d) => new { v.Id, v.Number, v.ItemCount, d.ProjectId, Dataset = d.Name })
            .ToListAsync(ct);
        var order = editable.Select((p, i) => (p.Id, i)).ToDictionary(x => x.Id, x => x.i);
        return [.. rows.OrderBy(r => order[r.ProjectId]).ThenBy(r => r.Dataset).ThenByDescending(r => r.Number)
            .Select(r => new StartableVersion(r.Id, r.ProjectId, editable[order[r.ProjectId]].Name, r.Dataset, r.Number, r.ItemCount))];
    }

    public async Task<(VersionDto Version, DatasetDto Dataset)> GetAsync(ClaimsPrincipal caller, Guid versionId, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var version = await db.DatasetVersions.AsNoTracking().SingleOrDefaultAsync(v => v.Id == versionId, ct)
            ?? throw new NotFoundException($"Version {versionId} does not exist.");
        var dataset = await datasets.GetAsync(caller, version.DatasetId, ct);
        return (ToDto(version), dataset);
    }

    public async Task<VersionDiffDto> DiffAsync(ClaimsPrincipal caller, Guid fromId, Guid toId, CancellationToken ct)
    {
        var (from, dataset) = await GetAsync(caller, fromId, ct);
        var (to, _) = await GetAsync(caller, toId, ct);
        if (from.DatasetId != to.DatasetId)
        {
            throw ValidationFailedException.For("versions", "Only versions of the same dataset can be compared.");
        }
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var a = await db.VersionItems.AsNoTracking().Where(v => v.VersionId == fromId).ToDictionaryAsync(v => v.ItemId, ct);
        var b = await db.VersionItems.AsNoTracking().Where(v => v.VersionId == toId).ToDictionaryAsync(v => v.ItemId, ct);
        var names = dataset.Labels.ToDictionary(l => l.Id, l => l.Name);
        string Names(string ids) => string.Join(", ", LabelIds.Parse(ids).Select(id => names.GetValueOrDefault(id, "(deleted)")));
        var relabeled = b.Values.Where(v => a.TryGetValue(v.ItemId, out var old) && old.LabelIds != v.LabelIds).ToList();
        var examples = relabeled.Take(10).Select(v => $"item {v.ItemId}: {Names(a[v.ItemId].LabelIds)} → {Names(v.LabelIds)}").ToList();
        return new VersionDiffDto(fromId, toId,
            Added: b.Keys.Count(k => !a.ContainsKey(k)),
            Removed: a.Keys.Count(k => !b.ContainsKey(k)),
            Relabeled: relabeled.Count,
            MovedSplit: b.Values.Count(v => a.TryGetValue(v.ItemId, out var old) && old.Split != v.Split),
            Unchanged: b.Values.Count(v => a.TryGetValue(v.ItemId, out var old) && old.LabelIds == v.LabelIds && old.Split == v.Split),
            examples);
    }

    /// <summary>The version's rows in a stable order, read in pages so that a large export never sits in memory whole.</summary>
    public async IAsyncEnumerable<(Item Item, IReadOnlyList<string> Labels, Split Split)> RowsAsync(Guid versionId, DatasetDto dataset,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        const int page = 1000;
        var names = dataset.Labels.ToDictionary(l => l.Id, l => l.Name);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        long after = -1;
        while (true)
        {
            var rows = await (from v in db.VersionItems.AsNoTracking()
                              join i in db.Items.AsNoTracking() on v.ItemId equals i.Id
                              where v.VersionId == versionId && i.Sequence > after
                              orderby i.Sequence
                              select new { Item = i, v.LabelIds, v.Split }).Take(page).ToListAsync(ct);
            foreach (var row in rows)
            {
                yield return (row.Item, [.. LabelIds.Parse(row.LabelIds).Select(id => names.GetValueOrDefault(id, "(deleted)"))], row.Split);
            }
            if (rows.Count < page)
            {
                yield break;
            }
            after = rows[^1].Item.Sequence;
        }
    }

    private static SplitRatios Validate(SplitRatios r)
    {
        if (r.Train <= 0 || r.Validation < 0 || r.Test < 0 || Math.Abs(r.Train + r.Validation + r.Test - 1) > 1e-6)
        {
            throw ValidationFailedException.For("split", "Split ratios are ≥ 0, train > 0, and they add up to 1 (e.g. 0.7 / 0.15 / 0.15).");
        }
        return r;
    }

    private static VersionDto ToDto(DatasetVersion v) => new(
        v.Id, v.DatasetId, v.Number, v.Note, v.ContentHash, v.Seed, new SplitRatios(v.TrainRatio, v.ValidationRatio, v.TestRatio), v.ItemCount,
        JsonSerializer.Deserialize<List<LabelSplitCount>>(v.LabelCounts) ?? [], v.Warnings.Split('\n', StringSplitOptions.RemoveEmptyEntries), v.CreatedAt);
}

/// <summary>A dataset version an experiment can start from, with the names the experiment form shows.</summary>
public sealed record StartableVersion(Guid Id, Guid ProjectId, string Project, string Dataset, int Number, int ItemCount);
