using TransferHub.Registry.Features.Access;
using System.Security.Claims;
using Microsoft.EntityFrameworkCore;
using TransferHub.Registry.Features.Artifacts;
using TransferHub.Registry.Features.Drift;
using TransferHub.Shared.Common;
using TransferHub.Shared.Datasets;
using TransferHub.Shared.Registry;
using TransferHub.Web.Data;
using TransferHub.Web.Features.Datasets;
using TransferHub.Web.Features.Datasets.Import;
using TransferHub.Web.Features.Labeling;
using TransferHub.Web.Infrastructure;
using TransferHub.Registry.Features.Models;
using TransferHub.Registry.Features.Audit;

namespace TransferHub.Web.Features.Registry;

/// <summary>
/// Closes the loop: served inputs the model was unsure about, or that fell in a drifted window, become new unlabeled
/// items of a dataset, tagged with where they came from, so the next snapshot and experiment include them.
/// </summary>
public sealed class LabelingLoop(IDbContextFactory<AppDbContext> dbFactory, ModelAccess access, IArtifactStore artifacts, AuditLog audit,
    DatasetEvents events, TimeProvider clock)
{
    public const int DefaultLimit = 200;

    public async Task<SendToLabelingResult> SendAsync(ClaimsPrincipal caller, string model, SendToLabelingRequest request, CancellationToken ct)
    {
        var (found, _) = await access.RequireAsync(caller, model, a => a.CanEditData, ct);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var dataset = await TargetAsync(db, found, request.DatasetId, ct);
        var kind = await db.ModelVersions().Where(v => v.ModelId == found.Id).OrderByDescending(v => v.Number).Select(v => v.InputJson).FirstAsync(ct);
        if (System.Text.Json.JsonSerializer.Deserialize<InputSpec>(kind, RegistryRules.Json)!.Kind != dataset.Kind.ToString().ToLowerInvariant())
        {
            throw ValidationFailedException.For("datasetId", $"This model reads {(dataset.Kind == DatasetKind.Text ? "images" : "texts")}; choose a {(dataset.Kind == DatasetKind.Text ? "image" : "text")} dataset.");
        }
        var settings = DriftService.SettingsOf(found);
        var threshold = request.MaxConfidence ?? settings.LowConfidence;
        var limit = Math.Clamp(request.Limit ?? DefaultLimit, 1, 5000);
        var drifted = await db.DriftRuns().Where(d => d.ModelId == found.Id).OrderByDescending(d => d.At).FirstOrDefaultAsync(ct);
        var window = drifted is { Status: DriftStatus.Drift or DriftStatus.Warning, WindowStart: { } start } ? start : (DateTimeOffset?)null;
        if (request.DriftedOnly == true && window is null)
        {
            throw new ConflictException("The latest drift check found no drift; there is no drifted window to send.");
        }
        var query = db.PredictionLogs().Where(p => p.ModelId == found.Id && p.SentToLabelingAt == null);
        query = request.DriftedOnly == true ? query.Where(p => p.At >= window!.Value)
            : window is { } from ? query.Where(p => p.Confidence < threshold || p.At >= from)
            : query.Where(p => p.Confidence < threshold);
        var logs = await query.OrderBy(p => p.Confidence).Take(limit).ToListAsync(ct);

        var known = (await db.Items.Where(i => i.DatasetId == dataset.Id).Select(i => i.ContentHash).ToListAsync(ct)).ToHashSet();
        var sequence = await db.Items.Where(i => i.DatasetId == dataset.Id).MaxAsync(i => (long?)i.Sequence, ct) ?? 0;
        var (added, duplicates, withoutRaw) = (0, 0, 0);
        var now = clock.GetUtcNow();
        foreach (var log in logs)
        {
            var item = await ToItemAsync(dataset, log, known, ct);
            if (item is null)
            {
                withoutRaw += log.RawKey is null && log.RawText is null ? 1 : 0;
                duplicates += log.RawKey is null && log.RawText is null ? 0 : 1;
                continue;
            }
            item.Sequence = ++sequence;
            db.Items.Add(item);
            known.Add(item.ContentHash);
            log.SentToLabelingAt = now;
            added++;
        }
        foreach (var log in logs.Where(l => l.SentToLabelingAt is null && (l.RawKey is not null || l.RawText is not null)))
        {
            log.SentToLabelingAt = now;
        }
        audit.Append(db, caller, found.Id, "sent to labeling", null, $"{added} inputs to dataset '{dataset.Name}' ({duplicates} already there, {withoutRaw} without a kept raw input).");
        await db.SaveChangesAsync(ct);
        if (added > 0)
        {
            await events.PublishAsync(new LabelsChanged(dataset.Id, caller.FindFirstValue(ClaimTypes.NameIdentifier) ?? ""));
        }
        return new SendToLabelingResult(dataset.Id, added, duplicates, withoutRaw);
    }

    private async Task<Item?> ToItemAsync(Dataset dataset, PredictionLog log, HashSet<string> known, CancellationToken ct)
    {
        var origin = $"drift:{log.ModelId:N}";
        if (dataset.Kind == DatasetKind.Text)
        {
            if (log.RawText is null)
            {
                return null;
            }
            // The same normalisation as an import, so a text sent twice (or already imported) is one item.
            var text = log.RawText.Replace("\r\n", "\n", StringComparison.Ordinal).Trim();
            var textHash = Hashing.Sha256Hex(text);
            return known.Contains(textHash) ? null : New(dataset, textHash, origin, item => { item.Text = text; item.SizeBytes = text.Length; });
        }
        if (log.RawKey is null)
        {
            return null;
        }
        byte[] bytes;
        await using (var stream = await artifacts.OpenReadAsync(log.RawKey, ct))
        using (var buffer = new MemoryStream())
        {
            await stream.CopyToAsync(buffer, ct);
            bytes = buffer.ToArray();
        }
        var hash = Hashing.Sha256Hex(bytes);
        if (known.Contains(hash))
        {
            return null;
        }
        var image = ImageInspector.Inspect($"prediction-{log.Id:N}", bytes);
        var item = New(dataset, hash, origin, i => i.FileName = $"prediction-{log.At:yyyyMMdd-HHmmss}-{log.Label}{image.Extension}");
        await ImageItems.StoreAsync(artifacts, item, hash, bytes, image, ct);
        return item;
    }

    private Item New(Dataset dataset, string hash, string origin, Action<Item> fill)
    {
        var item = new Item
        {
            DatasetId = dataset.Id, ContentHash = hash, CreatedAt = clock.GetUtcNow(), Origin = origin,
            RequiredAnnotations = LabelingQueue.IsOverlapItem(hash, dataset.OverlapPercent) ? 2 : 1,
        };
        fill(item);
        return item;
    }

    private static async Task<Dataset> TargetAsync(AppDbContext db, RegisteredModel model, Guid? datasetId, CancellationToken ct)
    {
        if (datasetId is null)
        {
            var version = await db.ModelVersions().Where(v => v.ModelId == model.Id)
                .OrderByDescending(v => v.Stage == ModelStage.Production).ThenByDescending(v => v.Number).Select(v => v.DatasetVersionId).FirstOrDefaultAsync(ct);
            datasetId = await db.DatasetVersions.Where(v => v.Id == version).Select(v => (Guid?)v.DatasetId).SingleOrDefaultAsync(ct);
        }
        var dataset = await db.Datasets.SingleOrDefaultAsync(d => d.Id == datasetId && d.ProjectId == model.ProjectId, ct)
            ?? throw ValidationFailedException.For("datasetId", "Name a dataset of the model's project (the training dataset is used by default).");
        return dataset;
    }
}
