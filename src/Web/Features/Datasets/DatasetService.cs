using System.Security.Claims;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using TransferHub.Shared.Datasets;
using TransferHub.Web.Data;
using TransferHub.Web.Features.Identity;
using TransferHub.Web.Features.Projects;
using TransferHub.Web.Infrastructure;

namespace TransferHub.Web.Features.Datasets;

/// <summary>Datasets and their label sets. Reading needs project membership; changing needs Owner or Scientist.</summary>
public sealed partial class DatasetService(IDbContextFactory<AppDbContext> dbFactory, ProjectService projects, TimeProvider clock)
{
    public async Task<IReadOnlyList<DatasetDto>> ListAsync(ClaimsPrincipal caller, Guid projectId, CancellationToken ct)
    {
        await projects.RequireAsync(caller, projectId, a => a.CanRead, ct);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var datasets = await db.Datasets.AsNoTracking().Include(d => d.Labels).Where(d => d.ProjectId == projectId).ToListAsync(ct);
        var counts = await CountsAsync(db, datasets.Select(d => d.Id).ToList(), ct);
        return [.. datasets.OrderBy(d => d.Name).Select(d => ToDto(d, counts.GetValueOrDefault(d.Id)))];
    }

    /// <summary>Every dataset the caller can see, across projects (for the Datasets page).</summary>
    public async Task<IReadOnlyList<(string Project, DatasetDto Dataset)>> ListVisibleAsync(ClaimsPrincipal caller, CancellationToken ct)
    {
        var visible = await projects.ListAsync(caller, ct);
        var result = new List<(string, DatasetDto)>();
        foreach (var project in visible)
        {
            result.AddRange((await ListAsync(caller, project.Id, ct)).Select(d => (project.Name, d)));
        }
        return result;
    }

    public async Task<DatasetDto> GetAsync(ClaimsPrincipal caller, Guid datasetId, CancellationToken ct)
    {
        var (dataset, _) = await RequireAsync(caller, datasetId, a => a.CanRead, ct);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var counts = await CountsAsync(db, [datasetId], ct);
        return ToDto(dataset, counts.GetValueOrDefault(datasetId));
    }

    /// <summary>Items per final label, and how many items wait for a reviewer.</summary>
    public async Task<(IReadOnlyList<(LabelDto Label, int Count)> PerLabel, int NeedsReview)> LabelCountsAsync(ClaimsPrincipal caller, Guid datasetId, CancellationToken ct)
    {
        var (dataset, _) = await RequireAsync(caller, datasetId, a => a.CanRead, ct);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var finals = await db.Items.Where(i => i.DatasetId == datasetId && i.FinalLabelIds != null).Select(i => i.FinalLabelIds!).ToListAsync(ct);
        var counts = finals.SelectMany(LabelIds.Parse).GroupBy(id => id).ToDictionary(g => g.Key, g => g.Count());
        var review = await db.Items.CountAsync(i => i.DatasetId == datasetId && i.NeedsReview, ct);
        return ([.. dataset.Labels.OrderBy(l => l.Order).Select(l => (l.ToDto(), counts.GetValueOrDefault(l.Id)))], review);
    }

    public async Task<DatasetDto> CreateAsync(ClaimsPrincipal caller, Guid projectId, CreateDatasetRequest request, CancellationToken ct)
    {
        await projects.RequireAsync(caller, projectId, a => a.CanEditData, ct);
        var name = ValidName(request.Name);
        if (!Enum.IsDefined(request.Kind) || !Enum.IsDefined(request.Task))
        {
            throw ValidationFailedException.For("kind", "Kind is image or text; task is SingleLabel or MultiLabel.");
        }
        var dataset = new Dataset
        {
            ProjectId = projectId, Name = name, Kind = request.Kind, Task = request.Task,
            Guideline = ValidGuideline(request.Guideline), OverlapPercent = ValidOverlap(request.OverlapPercent ?? 0),
            CreatedAt = clock.GetUtcNow(), CreatedById = caller.UserId(),
        };
        // Labels named by one key ("0"…"9", "a") keep that key, so the others' default keys must avoid them:
        // labels "0"…"9" once got keys 1…9 and 0, and pressing 5 on a "5" recorded "4".
        var ownKeys = (request.Labels ?? []).Where(l => l.Shortcut is null).Select(l => DatasetRules.OwnKey(l.Name)).OfType<string>().ToHashSet();
        foreach (var label in request.Labels ?? [])
        {
            AddLabel(dataset, label, ownKeys);
        }
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        if (await db.Datasets.AnyAsync(d => d.ProjectId == projectId && d.Name == name, ct))
        {
            throw new ConflictException($"This project already has a dataset named '{name}'.");
        }
        db.Datasets.Add(dataset);
        await db.SaveChangesAsync(ct);
        return ToDto(dataset, default);
    }

    public async Task<DatasetDto> UpdateAsync(ClaimsPrincipal caller, Guid datasetId, UpdateDatasetRequest request, CancellationToken ct)
    {
        await RequireAsync(caller, datasetId, a => a.CanEditData, ct);
        await using (var db = await dbFactory.CreateDbContextAsync(ct))
        {
            var dataset = await db.Datasets.SingleAsync(d => d.Id == datasetId, ct);
            dataset.Name = ValidName(request.Name);
            dataset.Guideline = ValidGuideline(request.Guideline);
            dataset.OverlapPercent = ValidOverlap(request.OverlapPercent ?? dataset.OverlapPercent);
            await db.SaveChangesAsync(ct);
        }
        return await GetAsync(caller, datasetId, ct);
    }

    public async Task DeleteAsync(ClaimsPrincipal caller, Guid datasetId, CancellationToken ct)
    {
        await RequireAsync(caller, datasetId, a => a.CanEditData, ct);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        // Versions first: their rows point at items without a cascade (SQL Server allows one cascade path).
        await db.DatasetVersions.Where(v => v.DatasetId == datasetId).ExecuteDeleteAsync(ct);
        await db.Datasets.Where(d => d.Id == datasetId).ExecuteDeleteAsync(ct);
    }

    public async Task<LabelDto> AddLabelAsync(ClaimsPrincipal caller, Guid datasetId, LabelRequest request, CancellationToken ct)
    {
        await RequireAsync(caller, datasetId, a => a.CanEditData, ct);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var dataset = await db.Datasets.Include(d => d.Labels).SingleAsync(d => d.Id == datasetId, ct);
        var label = AddLabel(dataset, request);
        // Marked as new explicitly: found through the tracked dataset, a label with its id already set would be taken for an
        // existing row to update (zero rows, a concurrency error, a 500).
        db.LabelClasses.Add(label);
        await db.SaveChangesAsync(ct);
        return label.ToDto();
    }

    public async Task<LabelDto> UpdateLabelAsync(ClaimsPrincipal caller, Guid datasetId, Guid labelId, LabelRequest request, CancellationToken ct)
    {
        await RequireAsync(caller, datasetId, a => a.CanEditData, ct);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var dataset = await db.Datasets.Include(d => d.Labels).SingleAsync(d => d.Id == datasetId, ct);
        var label = dataset.Labels.SingleOrDefault(l => l.Id == labelId) ?? throw new NotFoundException($"Label {labelId} does not exist.");
        var others = dataset.Labels.Where(l => l.Id != labelId).ToList();
        label.Name = ValidLabelName(request.Name, others);
        label.Color = ValidColor(request.Color) ?? label.Color;
        label.Shortcut = request.Shortcut is null ? label.Shortcut : ValidShortcut(request.Shortcut, others);
        label.Description = request.Description?.Trim();
        await db.SaveChangesAsync(ct);
        return label.ToDto();
    }

    /// <summary>Deletes a label nobody has used yet; a label in use is refused so that no annotation loses its meaning.</summary>
    public async Task DeleteLabelAsync(ClaimsPrincipal caller, Guid datasetId, Guid labelId, CancellationToken ct)
    {
        await RequireAsync(caller, datasetId, a => a.CanEditData, ct);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var label = await db.LabelClasses.SingleOrDefaultAsync(l => l.Id == labelId && l.DatasetId == datasetId, ct)
            ?? throw new NotFoundException($"Label {labelId} does not exist.");
        var id = labelId.ToString();
        var uses = await db.Annotations.CountAsync(a => a.DatasetId == datasetId && a.LabelIds.Contains(id), ct);
        // Imported ground truth is no annotation but a final label; an imported or model pre-label points at it too.
        var settled = await db.Items.CountAsync(i => i.DatasetId == datasetId && i.FinalLabelIds != null && i.FinalLabelIds.Contains(id), ct);
        var suggested = await db.ItemScores.CountAsync(x => x.DatasetId == datasetId && x.LabelId == labelId, ct);
        if (uses + settled + suggested > 0)
        {
            throw new ConflictException($"Label '{label.Name}' is used by {uses} annotation(s), {settled} item(s)' final labels and {suggested} pre-label(s); " +
                "rename it, or relabel those items first.");
        }
        db.LabelClasses.Remove(label);
        await db.SaveChangesAsync(ct);
    }

    /// <summary>The dataset and the caller's access to its project; 404 when missing, 403 when not allowed.</summary>
    public async Task<(Dataset Dataset, ProjectAccess Access)> RequireAsync(ClaimsPrincipal caller, Guid datasetId, Func<ProjectAccess, bool> allowed, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var dataset = await db.Datasets.AsNoTracking().Include(d => d.Labels).SingleOrDefaultAsync(d => d.Id == datasetId, ct)
            ?? throw new NotFoundException($"Dataset {datasetId} does not exist.");
        var access = await projects.RequireAsync(caller, dataset.ProjectId, allowed, ct);
        return (dataset, access);
    }

    /// <summary>Item and labeled counts of one dataset, without an access check (for event fan-out to callers already checked).</summary>
    public async Task<(int Items, int Labeled)> CountsAsync(Guid datasetId, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return (await CountsAsync(db, [datasetId], ct)).GetValueOrDefault(datasetId);
    }

    internal static async Task<Dictionary<Guid, (int Items, int Labeled)>> CountsAsync(AppDbContext db, IReadOnlyCollection<Guid> ids, CancellationToken ct) =>
        (await db.Items.Where(i => ids.Contains(i.DatasetId))
            .GroupBy(i => i.DatasetId)
            .Select(g => new { g.Key, Items = g.Count(), Labeled = g.Count(i => i.FinalLabelIds != null) })
            .ToListAsync(ct))
        .ToDictionary(x => x.Key, x => (x.Items, x.Labeled));

    private static DatasetDto ToDto(Dataset d, (int Items, int Labeled) counts) =>
        new(d.Id, d.ProjectId, d.Name, d.Kind, d.Task, d.Guideline, d.OverlapPercent,
            [.. d.Labels.OrderBy(l => l.Order).Select(l => l.ToDto())], counts.Items, counts.Labeled, d.CreatedAt);

    private static LabelClass AddLabel(Dataset dataset, LabelRequest request, IReadOnlySet<string>? keysOfLabelsToCome = null)
    {
        if (dataset.Labels.Count >= DatasetRules.MaxLabels)
        {
            throw ValidationFailedException.For("labels", $"A dataset has at most {DatasetRules.MaxLabels} labels.");
        }
        var label = new LabelClass
        {
            DatasetId = dataset.Id,
            Name = ValidLabelName(request.Name, dataset.Labels),
            Color = ValidColor(request.Color) ?? DatasetRules.Palette[dataset.Labels.Count % DatasetRules.Palette.Length],
            Shortcut = request.Shortcut is not null ? ValidShortcut(request.Shortcut, dataset.Labels)
                : DatasetRules.DefaultShortcut(request.Name, dataset.Labels, keysOfLabelsToCome),
            Description = request.Description?.Trim(),
            Order = dataset.Labels.Count == 0 ? 0 : dataset.Labels.Max(l => l.Order) + 1,
        };
        dataset.Labels.Add(label);
        return label;
    }

    private static string ValidName(string? name)
    {
        name = name?.Trim() ?? "";
        return name.Length is 0 or > DatasetRules.MaxNameLength
            ? throw ValidationFailedException.For("name", $"A dataset needs a name of 1 to {DatasetRules.MaxNameLength} characters.")
            : name;
    }

    private static string ValidLabelName(string? name, IEnumerable<LabelClass> others)
    {
        name = name?.Trim() ?? "";
        if (name.Length is 0 or > DatasetRules.MaxLabelLength || name.Contains(','))
        {
            throw ValidationFailedException.For("name", $"A label needs a name of 1 to {DatasetRules.MaxLabelLength} characters, without commas.");
        }
        if (others.Any(l => string.Equals(l.Name, name, StringComparison.OrdinalIgnoreCase)))
        {
            throw new ConflictException($"The label '{name}' already exists.");
        }
        return name;
    }

    private static string? ValidColor(string? color) =>
        color is null ? null : HexColor().IsMatch(color) ? color.ToLowerInvariant()
            : throw ValidationFailedException.For("color", "A color is written #rrggbb.");

    private static string ValidShortcut(string shortcut, IEnumerable<LabelClass> others)
    {
        if (shortcut.Length != 1 || !char.IsLetterOrDigit(shortcut[0]) || DatasetRules.ReservedKeys.Contains(shortcut[0]))
        {
            throw ValidationFailedException.For("shortcut", $"A shortcut is one digit or letter, other than the labeling keys J, K, U, S.");
        }
        shortcut = shortcut.ToLowerInvariant();
        return others.Any(l => l.Shortcut == shortcut)
            ? throw new ConflictException($"The shortcut '{shortcut}' is taken by another label.")
            : shortcut;
    }

    private static string? ValidGuideline(string? guideline) =>
        guideline?.Length > DatasetRules.MaxGuidelineLength
            ? throw ValidationFailedException.For("guideline", $"The guideline is limited to {DatasetRules.MaxGuidelineLength} characters.")
            : string.IsNullOrWhiteSpace(guideline) ? null : guideline;

    private static int ValidOverlap(int overlap) =>
        overlap is < 0 or > 100 ? throw ValidationFailedException.For("overlapPercent", "Overlap is a percentage, 0 to 100.") : overlap;

    [GeneratedRegex("^#[0-9a-fA-F]{6}$")]
    private static partial Regex HexColor();
}
