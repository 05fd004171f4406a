using System.Security.Claims;
using Microsoft.EntityFrameworkCore;
using TransferHub.Shared.Datasets;
using TransferHub.Web.Data;
using TransferHub.Web.Features.Datasets;
using TransferHub.Web.Features.Identity;
using TransferHub.Web.Infrastructure;

namespace TransferHub.Web.Features.Labeling;

/// <summary>What the data manager filters a dataset's items by; every part is optional and they combine with AND.</summary>
/// <param name="Status">all, labeled, unlabeled, review (or disagreement), drift (sent back by drift monitoring) or prelabeled.</param>
/// <param name="Label">A final label's name.</param>
/// <param name="Annotator">A person who labeled the item: user id or e-mail.</param>
/// <param name="Search">Text the item's text or file name contains (case-insensitive).</param>
/// <param name="MinConfidence">Lowest pre-label confidence, 0–1; implies a pre-label.</param>
/// <param name="MaxConfidence">Highest pre-label confidence, 0–1; implies a pre-label.</param>
public sealed record ItemFilter(
    string? Status = null, string? Label = null, string? Annotator = null, string? Search = null,
    double? MinConfidence = null, double? MaxConfidence = null);

/// <summary>
/// The data manager: a dataset's items filtered and paged (thousands of them, in the database, never in memory),
/// and the bulk actions a reviewer takes on a selection — settle as a label, or send to the review queue.
/// </summary>
public sealed class DataManagerService(IDbContextFactory<AppDbContext> dbFactory, DatasetService datasets, DatasetEvents events, TimeProvider clock)
{
    /// <summary>The history kind of a bulk "send to review": kept apart so Undo never mistakes it for the person's own label.</summary>
    public const string SentToReviewKind = "sent-to-review";

    /// <summary>The most items one bulk action touches.</summary>
    public const int MaxBulkItems = 500;

    private static readonly string[] Statuses = ["all", "labeled", "unlabeled", "review", "disagreement", "drift", "prelabeled"];

    public async Task<ItemPage> ListAsync(ClaimsPrincipal caller, Guid datasetId, ItemFilter filter, int page, int pageSize, CancellationToken ct)
    {
        var (dataset, _) = await datasets.RequireAsync(caller, datasetId, a => a.CanRead, ct);
        pageSize = Math.Clamp(pageSize, 1, 500);
        page = Math.Max(1, page);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var query = await FilterAsync(db, dataset, filter, ct);
        var total = await query.CountAsync(ct);
        var rows = await (from i in query.OrderBy(i => i.Sequence).Skip((page - 1) * pageSize).Take(pageSize)
                          join s in db.ItemScores on i.Id equals s.ItemId into scores
                          from s in scores.DefaultIfEmpty()
                          select new { Item = i, Score = s }).AsNoTracking().ToListAsync(ct);
        return new ItemPage([.. rows.Select(r => LabelingService.ToDto(dataset, r.Item) with
        {
            NeedsReview = r.Item.NeedsReview,
            Origin = r.Item.Origin,
            PreLabel = r.Score is null ? null : dataset.Labels.FirstOrDefault(l => l.Id == r.Score.LabelId)?.Name,
            PreLabelConfidence = r.Score?.Confidence,
        })], total, page, pageSize);
    }

    /// <summary>The people who labeled items of the dataset (user id and e-mail), for the annotator filter.</summary>
    public async Task<IReadOnlyList<(string Id, string Name)>> AnnotatorsAsync(ClaimsPrincipal caller, Guid datasetId, CancellationToken ct)
    {
        await datasets.RequireAsync(caller, datasetId, a => a.CanRead, ct);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var ids = db.Annotations.Where(a => a.DatasetId == datasetId).Select(a => a.UserId).Distinct();
        var people = await db.Users.Where(u => ids.Contains(u.Id)).Select(u => new { u.Id, u.Email }).ToListAsync(ct);
        return [.. people.Select(p => (p.Id, p.Email ?? p.Id)).OrderBy(p => p.Item2, StringComparer.OrdinalIgnoreCase)];
    }

    /// <summary>Settles the items as one label set, or sends them to review; each change is kept in the item's history.</summary>
    public async Task<BulkItemsResult> BulkAsync(ClaimsPrincipal caller, Guid datasetId, BulkItemsRequest request, CancellationToken ct)
    {
        var (dataset, _) = await datasets.RequireAsync(caller, datasetId, a => a.CanReview, ct);
        var ids = (request.ItemIds ?? []).Distinct().ToList();
        if (ids.Count is 0 or > MaxBulkItems)
        {
            throw ValidationFailedException.For("itemIds", $"Select between 1 and {MaxBulkItems} items.");
        }
        var action = request.Action?.ToLowerInvariant();
        if (action is not ("relabel" or "review"))
        {
            throw ValidationFailedException.For("action", "Action is relabel (with labels) or review.");
        }
        var labelIds = action == "relabel" ? LabelIds.Format(LabelingService.Resolve(dataset, request.Labels ?? [])) : null;

        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var items = await db.Items.Where(i => i.DatasetId == datasetId && ids.Contains(i.Id)).ToListAsync(ct);
        if (items.Count != ids.Count)
        {
            var missing = ids.Except(items.Select(i => i.Id)).First();
            throw new NotFoundException($"Item {missing} is not in this dataset; nothing was changed.");
        }
        var now = clock.GetUtcNow();
        var userId = caller.UserId();
        var changed = 0;
        foreach (var item in items)
        {
            var before = item.FinalLabelIds ?? "";
            if (labelIds is not null ? before == labelIds && !item.NeedsReview : item.NeedsReview)
            {
                continue;
            }
            db.LabelChanges.Add(new LabelChange
            {
                ItemId = item.Id, UserId = userId, FromLabelIds = before, ToLabelIds = labelIds ?? before, At = now,
                Kind = labelIds is not null ? LabelingService.ReviewKind : SentToReviewKind,
            });
            if (labelIds is not null)
            {
                item.FinalLabelIds = labelIds;
                item.RequiredAnnotations = Math.Min(item.RequiredAnnotations, item.AnnotationCount); // settled: out of the labeling queue
            }
            item.NeedsReview = labelIds is null;
            changed++;
        }
        await db.SaveChangesAsync(ct); // one transaction: the whole selection changes, or none of it
        if (changed > 0)
        {
            await events.PublishAsync(new LabelsChanged(dataset.Id, userId));
        }
        return new BulkItemsResult(changed, items.Count - changed);
    }

    private static async Task<IQueryable<Item>> FilterAsync(AppDbContext db, Dataset dataset, ItemFilter filter, CancellationToken ct)
    {
        var query = db.Items.AsNoTracking().Where(i => i.DatasetId == dataset.Id);
        var status = filter.Status?.ToLowerInvariant();
        query = status switch
        {
            null or "" or "all" => query,
            "labeled" => query.Where(i => i.FinalLabelIds != null),
            "unlabeled" => query.Where(i => i.FinalLabelIds == null && !i.NeedsReview),
            "review" or "disagreement" => query.Where(i => i.NeedsReview),
            "drift" => query.Where(i => i.Origin != null && i.Origin.StartsWith("drift:")),
            "prelabeled" => query.Where(i => db.ItemScores.Any(s => s.ItemId == i.Id)),
            _ => throw ValidationFailedException.For("status", $"Status is one of {string.Join(", ", Statuses)}."),
        };
        if (!string.IsNullOrWhiteSpace(filter.Label))
        {
            var id = dataset.Labels.FirstOrDefault(l => string.Equals(l.Name, filter.Label, StringComparison.OrdinalIgnoreCase))?.Id.ToString()
                ?? throw ValidationFailedException.For("label", $"No label named '{filter.Label}'.");
            query = query.Where(i => i.FinalLabelIds != null && i.FinalLabelIds.Contains(id));
        }
        if (!string.IsNullOrWhiteSpace(filter.Annotator))
        {
            var who = filter.Annotator.Trim();
            var userId = await db.Users.Where(u => u.Id == who || u.NormalizedEmail == who.ToUpperInvariant()).Select(u => u.Id).FirstOrDefaultAsync(ct)
                ?? throw ValidationFailedException.For("annotator", $"No user '{who}'.");
            query = query.Where(i => db.Annotations.Any(a => a.ItemId == i.Id && a.UserId == userId));
        }
        if (!string.IsNullOrWhiteSpace(filter.Search))
        {
            var text = filter.Search.Trim().ToLowerInvariant();
            if (text.Length > 200)
            {
                throw ValidationFailedException.For("q", "Search for at most 200 characters.");
            }
            query = query.Where(i => (i.Text != null && i.Text.ToLower().Contains(text)) || (i.FileName != null && i.FileName.ToLower().Contains(text)));
        }
        if (filter.MinConfidence is not null || filter.MaxConfidence is not null)
        {
            var (min, max) = (filter.MinConfidence ?? 0, filter.MaxConfidence ?? 1);
            if (min is < 0 or > 1 || max is < 0 or > 1 || min > max || double.IsNaN(min) || double.IsNaN(max))
            {
                throw ValidationFailedException.For("minConfidence", "Confidence bounds lie in 0–1, the lowest first.");
            }
            query = query.Where(i => db.ItemScores.Any(s => s.ItemId == i.Id && s.Confidence >= min && s.Confidence <= max));
        }
        return query;
    }
}
