using TransferHub.Shared.Telemetry;
using System.Security.Claims;
using Microsoft.EntityFrameworkCore;
using TransferHub.Shared.Datasets;
using TransferHub.Web.Data;
using TransferHub.Web.Features.Datasets;
using TransferHub.Web.Features.Identity;
using TransferHub.Web.Infrastructure;

namespace TransferHub.Web.Features.Labeling;

/// <summary>
/// The labeling queue and annotations. An item is reserved for one annotator at a time (the reservation
/// lapses without a heartbeat), unlabeled items come first, overlap items wait for a second annotator,
/// and every change to a label is kept.
/// </summary>
public sealed class LabelingService(
    IDbContextFactory<AppDbContext> dbFactory, DatasetService datasets, DatasetEvents events, TimeProvider clock, WriteGate writes,
    IEnumerable<IItemScoreProvider> scoreProviders, AppMetrics metrics)
{
    /// <summary>The history kind of a reviewer settling an item's final labels (the review queue or the data manager).</summary>
    public const string ReviewKind = "review";
    /// <summary>The kind of the change an import of ground-truth labels records; like a reviewer's, it settles the item.</summary>
    public const string ImportKind = "import";

    /// <summary>Reserves and returns the caller's next item, or null when nothing is left for them.</summary>
    public async Task<LabelingItem?> NextAsync(ClaimsPrincipal caller, Guid datasetId, QueueOrder order, IReadOnlyCollection<Guid> exclude, CancellationToken ct)
    {
        var (dataset, _) = await datasets.RequireAsync(caller, datasetId, a => a.CanLabel, ct);
        var userId = caller.UserId();
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var now = clock.GetUtcNow();
        var open = db.Items.Where(i => i.DatasetId == datasetId
            && i.AnnotationCount < i.RequiredAnnotations
            && !exclude.Contains(i.Id)
            && !db.Annotations.Any(a => a.ItemId == i.Id && a.UserId == userId)
            && (i.ReservedById == null || i.ReservedById == userId || i.ReservedUntil < now));
        // Annotators asking at the same instant see the same candidates; a few rounds sort the race out.
        for (var round = 0; round < 6; round++)
        {
            var candidates = await CandidatesAsync(open, order, datasetId, round, ct);
            if (candidates.Count == 0)
            {
                return null;
            }
            foreach (var id in candidates)
            {
                // Claim with a conditional update that re-checks everything the candidate query saw: of two
                // annotators racing for one item exactly one changes the row, and an item labeled meanwhile is not taken.
                int claimed;
                using (await writes.EnterAsync(ct))
                {
                    claimed = await db.Items.Where(i => i.Id == id
                            && i.AnnotationCount < i.RequiredAnnotations
                            && !db.Annotations.Any(a => a.ItemId == i.Id && a.UserId == userId)
                            && (i.ReservedById == null || i.ReservedById == userId || i.ReservedUntil < now))
                        .ExecuteUpdateAsync(s => s.SetProperty(i => i.ReservedById, userId).SetProperty(i => i.ReservedUntil, now + LabelingQueue.ReservationTtl), ct);
                    if (claimed == 1)
                    {
                        await ReleaseSurplusAsync(db, datasetId, userId, keep: id, exclude, ct);
                    }
                }
                if (claimed == 1)
                {
                    return await ViewAsync(db, dataset, id, userId, ct);
                }
            }
        }
        return null;
    }

    /// <summary>An item the caller may look at again (history navigation); no reservation is taken.</summary>
    public async Task<LabelingItem> GetAsync(ClaimsPrincipal caller, Guid itemId, CancellationToken ct)
    {
        var dataset = await RequireItemAsync(caller, itemId, a => a.CanRead, ct);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await ViewAsync(db, dataset, itemId, caller.UserId(), ct);
    }

    /// <summary>Keeps the caller's reservations alive while their page is open.</summary>
    public async Task RenewAsync(string userId, IReadOnlyCollection<Guid> itemIds, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        using var gate = await writes.EnterAsync(ct);
        var until = clock.GetUtcNow() + LabelingQueue.ReservationTtl;
        await db.Items.Where(i => itemIds.Contains(i.Id) && i.ReservedById == userId)
            .ExecuteUpdateAsync(s => s.SetProperty(i => i.ReservedUntil, until), ct);
    }

    /// <summary>Gives items back to the queue (a skip, or the page closing).</summary>
    public async Task ReleaseAsync(string userId, IReadOnlyCollection<Guid> itemIds, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        using var gate = await writes.EnterAsync(ct);
        await db.Items.Where(i => itemIds.Contains(i.Id) && i.ReservedById == userId)
            .ExecuteUpdateAsync(s => s.SetProperty(i => i.ReservedById, (string?)null).SetProperty(i => i.ReservedUntil, (DateTimeOffset?)null), ct);
    }

    /// <summary>Saves the caller's labels for an item (new, or a change to their earlier labels) and settles the item's final labels.</summary>
    public async Task<SubmitResult> SubmitAsync(ClaimsPrincipal caller, Guid itemId, IReadOnlyList<string> labelNames, int? durationMs, CancellationToken ct)
    {
        var dataset = await RequireItemAsync(caller, itemId, a => a.CanLabel, ct);
        var labelIds = Resolve(dataset, labelNames);
        return await WriteAsync(dataset, itemId, caller.UserId(), labelIds, "annotation", durationMs, ct);
    }

    /// <summary>Takes back the caller's last change to an item: their earlier labels return, or the item goes back to the queue.</summary>
    public async Task<SubmitResult> UndoAsync(ClaimsPrincipal caller, Guid itemId, CancellationToken ct)
    {
        var dataset = await RequireItemAsync(caller, itemId, a => a.CanLabel, ct);
        var userId = caller.UserId();
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var last = await db.LabelChanges.Where(c => c.ItemId == itemId && c.UserId == userId && (c.Kind == "annotation" || c.Kind == "undo"))
            .OrderByDescending(c => c.At).ThenByDescending(c => c.Id).FirstOrDefaultAsync(ct)
            ?? throw new ConflictException("There is nothing of yours to undo on this item.");
        return await WriteAsync(dataset, itemId, userId, LabelIds.Parse(last.FromLabelIds), "undo", null, ct);
    }

    /// <summary>A Reviewer settles an item's final labels (after a disagreement, or to correct it).</summary>
    public async Task<SubmitResult> ResolveAsync(ClaimsPrincipal caller, Guid itemId, IReadOnlyList<string> labelNames, CancellationToken ct)
    {
        var dataset = await RequireItemAsync(caller, itemId, a => a.CanReview, ct);
        var labelIds = LabelIds.Format(Resolve(dataset, labelNames));
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var item = await db.Items.SingleAsync(i => i.Id == itemId, ct);
        db.LabelChanges.Add(new LabelChange { ItemId = itemId, UserId = caller.UserId(), FromLabelIds = item.FinalLabelIds ?? "", ToLabelIds = labelIds, At = clock.GetUtcNow(), Kind = ReviewKind });
        item.FinalLabelIds = labelIds;
        item.NeedsReview = false;
        await db.SaveChangesAsync(ct);
        await events.PublishAsync(new LabelsChanged(dataset.Id, caller.UserId()));
        return new SubmitResult(itemId, true, Names(dataset, labelIds), false);
    }

    /// <summary>The latest label changes in a dataset, newest first: who labeled, changed, undid or settled what.</summary>
    public async Task<IReadOnlyList<ActivityEntry>> ActivityAsync(ClaimsPrincipal caller, Guid datasetId, int take, CancellationToken ct)
    {
        var (dataset, _) = await datasets.RequireAsync(caller, datasetId, a => a.CanRead, ct);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var rows = await (from c in db.LabelChanges.AsNoTracking()
                          join i in db.Items on c.ItemId equals i.Id
                          join u in db.Users on c.UserId equals u.Id into users
                          from u in users.DefaultIfEmpty()
                          where i.DatasetId == datasetId
                          orderby c.At descending, c.Id descending
                          select new { c.At, c.Kind, c.FromLabelIds, c.ToLabelIds, Email = u != null ? u.Email : null, i.FileName, i.Text })
            .Take(Math.Clamp(take, 1, 100)).ToListAsync(ct);
        return [.. rows.Select(r =>
        {
            var item = r.FileName ?? (r.Text is { Length: > 40 } t ? t[..40] + "…" : r.Text) ?? "an item";
            var to = string.Join(", ", Names(dataset, r.ToLabelIds));
            var what = r.Kind switch
            {
                ImportKind => $"imported {item} as {to}",
                "review" => $"settled {item} as {to}",
                "undo" => $"undid a label on {item}",
                DataManagerService.SentToReviewKind => $"sent {item} to review",
                _ when r.FromLabelIds.Length == 0 => $"labeled {item} {to}",
                _ => $"changed {item} from {string.Join(", ", Names(dataset, r.FromLabelIds))} to {to}",
            };
            return new ActivityEntry(r.Email ?? "someone", what, r.At);
        })];
    }

    /// <summary>The review queue: items whose annotators disagree, oldest first, with each annotator's labels.</summary>
    public async Task<IReadOnlyList<Disagreement>> DisagreementsAsync(ClaimsPrincipal caller, Guid datasetId, int take, CancellationToken ct)
    {
        var (dataset, _) = await datasets.RequireAsync(caller, datasetId, a => a.CanReview, ct);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var items = await db.Items.AsNoTracking().Where(i => i.DatasetId == datasetId && i.NeedsReview)
            .OrderBy(i => i.Sequence).Take(Math.Clamp(take, 1, 200)).ToListAsync(ct);
        var ids = items.Select(i => i.Id).ToList();
        var votes = await (from a in db.Annotations.AsNoTracking()
                           join u in db.Users on a.UserId equals u.Id
                           where ids.Contains(a.ItemId)
                           select new { a.ItemId, u.Email, a.LabelIds }).ToListAsync(ct);
        return [.. items.Select(i => new Disagreement(ToDto(dataset, i),
            [.. votes.Where(v => v.ItemId == i.Id).Select(v => (v.Email ?? "?", Names(dataset, v.LabelIds)))]))];
    }

    public async Task<IReadOnlyList<LabelChangeDto>> HistoryAsync(ClaimsPrincipal caller, Guid itemId, CancellationToken ct)
    {
        var dataset = await RequireItemAsync(caller, itemId, a => a.CanRead, ct);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var changes = await db.LabelChanges.AsNoTracking().Where(c => c.ItemId == itemId).ToListAsync(ct);
        var emails = await db.Users.Where(u => changes.Select(c => c.UserId).Contains(u.Id)).ToDictionaryAsync(u => u.Id, u => u.Email, ct);
        return [.. changes.OrderBy(c => c.At).ThenBy(c => c.Id).Select(c => new LabelChangeDto(
            c.UserId, emails.GetValueOrDefault(c.UserId), Names(dataset, c.FromLabelIds), Names(dataset, c.ToLabelIds), c.At, c.Kind))];
    }

    /// <summary>The item and its dataset, after checking the caller may act on it.</summary>
    public async Task<(Item Item, Dataset Dataset)> GetItemAsync(ClaimsPrincipal caller, Guid itemId, CancellationToken ct)
    {
        var dataset = await RequireItemAsync(caller, itemId, a => a.CanRead, ct);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return (await db.Items.AsNoTracking().SingleAsync(i => i.Id == itemId, ct), dataset);
    }

    internal static ItemDto ToDto(Dataset dataset, Item i) =>
        new(i.Id, i.DatasetId, i.FileName, i.Text, i.Width, i.Height, i.ContentHash, Names(dataset, i.FinalLabelIds), i.AnnotationCount, i.CreatedAt);

    private async Task<SubmitResult> WriteAsync(Dataset dataset, Guid itemId, string userId, IReadOnlyList<Guid> labelIds, string kind, int? durationMs, CancellationToken ct)
    {
        using var activity = AppMetrics.Activities.StartActivity("label.submit");
        activity?.SetTag("transferhub.item.id", itemId);
        var started = clock.GetTimestamp();
        var result = await WriteCoreAsync(dataset, itemId, userId, labelIds, kind, durationMs, ct);
        metrics.LabelSubmitted(clock.GetElapsedTime(started), kind);
        return result;
    }

    private async Task<SubmitResult> WriteCoreAsync(Dataset dataset, Guid itemId, string userId, IReadOnlyList<Guid> labelIds, string kind, int? durationMs, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var formatted = LabelIds.Format(labelIds);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var strategy = db.Database.CreateExecutionStrategy();
        var gate = await writes.EnterAsync(ct);
        SubmitResult result;
        try
        {
            result = await strategy.ExecuteAsync(async () =>
        {
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            // Touch the item row first: it takes the write lock, so submits to one item run one after another.
            await db.Items.Where(i => i.Id == itemId).ExecuteUpdateAsync(s => s
                .SetProperty(i => i.ReservedUntil, i => i.ReservedById == userId ? null : i.ReservedUntil)
                .SetProperty(i => i.ReservedById, i => i.ReservedById == userId ? null : i.ReservedById), ct);
            var annotation = await db.Annotations.SingleOrDefaultAsync(a => a.ItemId == itemId && a.UserId == userId, ct);
            var before = annotation?.LabelIds ?? "";
            if (before == formatted)
            {
                await tx.CommitAsync(ct);
                var unchanged = await db.Items.AsNoTracking().SingleAsync(i => i.Id == itemId, ct);
                return new SubmitResult(itemId, false, Names(dataset, unchanged.FinalLabelIds), unchanged.NeedsReview);
            }
            if (annotation is null)
            {
                db.Annotations.Add(new Annotation { ItemId = itemId, DatasetId = dataset.Id, UserId = userId, LabelIds = formatted, CreatedAt = now, UpdatedAt = now, DurationMs = durationMs });
            }
            else if (formatted.Length == 0)
            {
                db.Annotations.Remove(annotation);
            }
            else
            {
                annotation.LabelIds = formatted;
                annotation.UpdatedAt = now;
            }
            db.LabelChanges.Add(new LabelChange { ItemId = itemId, UserId = userId, FromLabelIds = before, ToLabelIds = formatted, At = now, Kind = kind });
            await db.SaveChangesAsync(ct);

            var item = await db.Items.SingleAsync(i => i.Id == itemId, ct);
            var all = await db.Annotations.Where(a => a.ItemId == itemId).Select(a => a.LabelIds).ToListAsync(ct);
            item.AnnotationCount = all.Count;
            // A reviewer's settlement, or labels imported as ground truth, stand until the item is sent to review again: a
            // labeler who still had it open (or labels it later, by the API) adds to its history and agreement, never
            // silently overrides them.
            var lastWord = await db.LabelChanges
                .Where(c => c.ItemId == itemId && (c.Kind == ReviewKind || c.Kind == ImportKind || c.Kind == DataManagerService.SentToReviewKind))
                .OrderByDescending(c => c.At).Select(c => new { c.Kind, c.UserId, c.At }).FirstOrDefaultAsync(ct);
            var settled = lastWord?.Kind == ReviewKind
                // Imports before ground truth existed gave the importer an annotation made with the item: that stays one
                // opinion among the annotators', as it was.
                || (lastWord?.Kind == ImportKind && !await db.Annotations.AnyAsync(a => a.ItemId == itemId && a.UserId == lastWord.UserId && a.CreatedAt == lastWord.At, ct));
            if (!settled)
            {
                var distinct = all.Distinct().ToList();
                item.FinalLabelIds = distinct.Count == 1 ? distinct[0] : null;
                item.NeedsReview = distinct.Count > 1;
            }
            await db.SaveChangesAsync(ct);
            await tx.CommitAsync(ct);
            return new SubmitResult(itemId, true, Names(dataset, item.FinalLabelIds), item.NeedsReview);
            });
        }
        finally
        {
            gate.Dispose();
        }
        if (result.Changed)
        {
            await events.PublishAsync(new LabelsChanged(dataset.Id, userId));
        }
        return result;
    }

    private async Task<List<Guid>> CandidatesAsync(IQueryable<Item> open, QueueOrder order, Guid datasetId, int round, CancellationToken ct)
    {
        var take = 8 << round;
        // Unlabeled items first; items waiting only for an overlap annotator after them.
        var byCount = open.OrderBy(i => i.AnnotationCount);
        var scores = order == QueueOrder.LeastConfident ? scoreProviders.FirstOrDefault() : null;
        if (scores is null)
        {
            var ordered = order == QueueOrder.Random ? byCount.ThenBy(i => i.ContentHash) : byCount.ThenBy(i => i.Sequence);
            return await ordered.Select(i => i.Id).Take(take).ToListAsync(ct);
        }
        var confidence = await scores.GetConfidenceAsync(datasetId, ct);
        var rows = await open.Select(i => new { i.Id, i.AnnotationCount, i.Sequence }).ToListAsync(ct);
        return [.. rows.OrderBy(r => r.AnnotationCount)
            .ThenBy(r => confidence.TryGetValue(r.Id, out var c) ? c : double.MaxValue)
            .ThenBy(r => r.Sequence)
            .Take(take).Select(r => r.Id)];
    }

    private static async Task ReleaseSurplusAsync(AppDbContext db, Guid datasetId, string userId, Guid keep, IReadOnlyCollection<Guid> exclude, CancellationToken ct)
    {
        // The page passes the item on screen in `exclude`; anything else this user still holds in the dataset goes back.
        await db.Items.Where(i => i.DatasetId == datasetId && i.ReservedById == userId && i.Id != keep && !exclude.Contains(i.Id))
            .ExecuteUpdateAsync(s => s.SetProperty(i => i.ReservedById, (string?)null).SetProperty(i => i.ReservedUntil, (DateTimeOffset?)null), ct);
    }

    private static async Task<LabelingItem> ViewAsync(AppDbContext db, Dataset dataset, Guid itemId, string userId, CancellationToken ct)
    {
        var item = await db.Items.AsNoTracking().SingleAsync(i => i.Id == itemId, ct);
        var mine = await db.Annotations.Where(a => a.ItemId == itemId && a.UserId == userId).Select(a => a.LabelIds).SingleOrDefaultAsync(ct);
        var score = await db.ItemScores.AsNoTracking().SingleOrDefaultAsync(s => s.ItemId == itemId, ct);
        var suggestion = score is null ? null : dataset.Labels.FirstOrDefault(l => l.Id == score.LabelId) is { } label
            ? new ModelSuggestion(label.Id, label.Name, score.Confidence, score.RunId) : null;
        return new LabelingItem(ToDto(dataset, item), LabelIds.Parse(mine), item.Origin, suggestion);
    }

    private async Task<Dataset> RequireItemAsync(ClaimsPrincipal caller, Guid itemId, Func<ProjectAccess, bool> allowed, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var datasetId = await db.Items.Where(i => i.Id == itemId).Select(i => (Guid?)i.DatasetId).SingleOrDefaultAsync(ct)
            ?? throw new NotFoundException($"Item {itemId} does not exist.");
        return (await datasets.RequireAsync(caller, datasetId, allowed, ct)).Dataset;
    }

    internal static IReadOnlyList<Guid> Resolve(Dataset dataset, IReadOnlyList<string> names)
    {
        var ids = new List<Guid>();
        foreach (var name in names ?? [])
        {
            var label = dataset.Labels.FirstOrDefault(l => string.Equals(l.Name, name, StringComparison.OrdinalIgnoreCase) || l.Id.ToString() == name)
                ?? throw ValidationFailedException.For("labels", $"'{name}' is not a label of this dataset (labels: {string.Join(", ", dataset.Labels.Select(l => l.Name))}).");
            ids.Add(label.Id);
        }
        if (ids.Count == 0 || (dataset.Task == LabelTask.SingleLabel && ids.Distinct().Count() != 1))
        {
            throw ValidationFailedException.For("labels", dataset.Task == LabelTask.SingleLabel ? "Give exactly one label." : "Give at least one label.");
        }
        return ids;
    }

    internal static IReadOnlyList<string> Names(Dataset dataset, string? labelIds) =>
        [.. LabelIds.Parse(labelIds).Select(id => dataset.Labels.FirstOrDefault(l => l.Id == id)?.Name ?? "(deleted)")];
}
