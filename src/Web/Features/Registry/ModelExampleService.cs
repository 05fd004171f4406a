using TransferHub.Registry.Features.Serving;
using TransferHub.Registry.Features.Models;
using TransferHub.Registry.Features.Access;
using System.Security.Claims;
using Microsoft.EntityFrameworkCore;
using TransferHub.Registry.Features.Artifacts;
using TransferHub.Shared.Datasets;
using TransferHub.Shared.Registry;
using TransferHub.Web.Data;
using TransferHub.Web.Features.Labeling;
using TransferHub.Web.Infrastructure;

namespace TransferHub.Web.Features.Registry;

/// <summary>
/// Examples to try a version on, with their true labels beside the prediction: items held out from its training (the
/// test split of the dataset version it was trained on), so trying one says something about the model. MLflow keeps
/// one input example a person logged; these come with every version for free and carry the answer.
/// </summary>
public sealed class ModelExampleService(IDbContextFactory<AppDbContext> dbFactory, ModelAccess access, IArtifactStore artifacts, ServingService serving)
{
    public const int MaxExamples = 12;

    public async Task<IReadOnlyList<ModelExampleDto>> ListAsync(ClaimsPrincipal caller, string model, string version, int take, CancellationToken ct)
    {
        var (found, _) = await access.RequireAsync(caller, model, a => a.CanRead, ct);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var row = await VersionViews.FindAsync(db, found.Id, version, ct);
        var dataset = await (from v in db.DatasetVersions join d in db.Datasets on v.DatasetId equals d.Id where v.Id == row.DatasetVersionId select d)
            .Include(d => d.Labels).AsNoTracking().SingleOrDefaultAsync(ct);
        if (dataset is null)
        {
            return []; // its dataset was deleted since: nothing to show
        }
        take = Math.Clamp(take, 1, MaxExamples);
        var held = await HeldOutAsync(db, row.DatasetVersionId, Split.Test, take, ct);
        if (held.Count == 0)
        {
            held = await HeldOutAsync(db, row.DatasetVersionId, Split.Validation, take, ct);
        }
        return [.. held.Select(h => new ModelExampleDto(h.Item.Id, h.Item.FileName, h.Item.Text, LabelingService.Names(dataset, h.LabelIds)))];
    }

    /// <summary>Predicts one example with the version (not logged for drift: a person trying the model is not traffic).</summary>
    public async Task<PredictionDto> PredictAsync(ClaimsPrincipal caller, string model, string version, Guid itemId, CancellationToken ct)
    {
        var (found, _) = await access.RequireAsync(caller, model, a => a.CanRead, ct);
        ServedInput input;
        await using (var db = await dbFactory.CreateDbContextAsync(ct))
        {
            var row = await VersionViews.FindAsync(db, found.Id, version, ct);
            var item = await (from vi in db.VersionItems join i in db.Items on vi.ItemId equals i.Id
                              where vi.VersionId == row.DatasetVersionId && vi.ItemId == itemId && vi.Split != Split.Train
                              select i).AsNoTracking().SingleOrDefaultAsync(ct)
                ?? throw new NotFoundException($"Item {itemId} is not a held-out example of this version.");
            input = item.Text is not null ? new ServedInput(null, item.Text) : new ServedInput(await ReadAsync(item.BlobKey!, ct), null);
        }
        var response = await serving.PredictAsync(caller, model, version, [input], ct, logged: false);
        return response.Predictions[0];
    }

    private static async Task<List<(Datasets.Item Item, string LabelIds)>> HeldOutAsync(AppDbContext db, Guid versionId, Split split, int take, CancellationToken ct) =>
        [.. (await (from vi in db.VersionItems join i in db.Items on vi.ItemId equals i.Id
                    where vi.VersionId == versionId && vi.Split == split
                    orderby i.Sequence
                    select new { Item = i, vi.LabelIds }).AsNoTracking().Take(take).ToListAsync(ct)).Select(r => (r.Item, r.LabelIds))];

    private async Task<byte[]> ReadAsync(string key, CancellationToken ct)
    {
        await using var stream = await artifacts.OpenReadAsync(key, ct);
        using var buffer = new MemoryStream();
        await stream.CopyToAsync(buffer, ct);
        return buffer.ToArray();
    }
}
