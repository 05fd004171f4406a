using System.Security.Claims;
using TransferHub.Registry.Features.Access;
using TransferHub.Registry.Features.Artifacts;
using TransferHub.Registry.Features.Models;
using TransferHub.Shared.Common;
using TransferHub.Shared.Datasets;
using TransferHub.Shared.Registry;

namespace TransferHub.Registry.Features.Serving;

/// <summary>
/// Examples to try a version on, with their true labels beside the prediction: items held out from its training (the
/// test split of the dataset version it was trained on), so trying one says something about the model. MLflow keeps
/// one input example a person logged; these come with every version for free and carry the answer.
/// </summary>
public sealed class ModelExampleService(IRegistryDatabase database, ModelAccess access, IDatasetItems items, IArtifactStore artifacts, ServingService serving)
{
    public const int MaxExamples = 12;

    public async Task<IReadOnlyList<ModelExampleDto>> ListAsync(ClaimsPrincipal caller, string model, string version, int take, CancellationToken ct)
    {
        var (found, _) = await access.RequireAsync(caller, model, a => a.CanRead, ct);
        Guid datasetVersionId;
        await using (var db = await database.OpenAsync(ct))
        {
            datasetVersionId = (await VersionViews.FindAsync(db, found.Id, version, ct)).DatasetVersionId;
        }
        take = Math.Clamp(take, 1, MaxExamples);
        // Its dataset deleted since: nothing to show.
        var held = await items.ItemsAsync(datasetVersionId, [Split.Test], take, ct);
        if (held.Count == 0)
        {
            held = await items.ItemsAsync(datasetVersionId, [Split.Validation], take, ct);
        }
        return [.. held.Select(h => new ModelExampleDto(h.ItemId, h.FileName, h.Text, h.Labels))];
    }

    /// <summary>Predicts one example with the version (not logged for drift: a person trying the model is not traffic).</summary>
    public async Task<PredictionDto> PredictAsync(ClaimsPrincipal caller, string model, string version, Guid itemId, CancellationToken ct)
    {
        var (found, _) = await access.RequireAsync(caller, model, a => a.CanRead, ct);
        Guid datasetVersionId;
        await using (var db = await database.OpenAsync(ct))
        {
            datasetVersionId = (await VersionViews.FindAsync(db, found.Id, version, ct)).DatasetVersionId;
        }
        var item = await items.ItemAsync(datasetVersionId, itemId, [Split.Validation, Split.Test], ct)
            ?? throw new NotFoundException($"Item {itemId} is not a held-out example of this version.");
        var input = item.Text is not null ? new ServedInput(null, item.Text) : new ServedInput(await artifacts.ReadAllAsync(item.BlobKey!, ct), null);
        var response = await serving.PredictAsync(caller, model, version, [input], ct, logged: false);
        return response.Predictions[0];
    }
}
