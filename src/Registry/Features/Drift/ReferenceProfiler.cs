using System.Text.Json;
using TransferHub.Registry.Features.Artifacts;
using TransferHub.Registry.Features.Models;
using TransferHub.Registry.Features.Serving;
using TransferHub.Shared.Datasets;
using TransferHub.Shared.Registry;

namespace TransferHub.Registry.Features.Drift;

/// <summary>
/// Captures a version's reference profile at registration: the model predicts its dataset version's validation and
/// test items (never seen in training), and the class distribution, confidences, input statistics and a bounded
/// sample of embeddings are kept.
/// </summary>
public sealed class ReferenceProfiler(IDatasetItems datasetItems, IArtifactStore artifacts, ModelCache cache, TimeProvider clock)
{
    /// <summary>Embeddings kept in a profile: enough for a subsampled MMD, bounded in size.</summary>
    public const int MaxEmbeddings = 200;
    private const int Batch = 64;

    public async Task<ReferenceProfile> CaptureAsync(ModelVersion version, int imageSize, CancellationToken ct)
    {
        var items = await datasetItems.ItemsAsync(version.DatasetVersionId, [Split.Validation, Split.Test], null, ct);
        using var lease = await cache.AcquireAsync(version, ct);
        var model = lease.Model;
        var counts = new int[model.Classes.Count];
        var confidences = new List<double>();
        var stats = new List<double>();
        var embeddings = new List<float[]>();
        foreach (var chunk in items.Chunk(Batch))
        {
            IReadOnlyList<ModelOutput> outputs;
            if (model.IsText)
            {
                var texts = chunk.Select(i => i.Text ?? "").ToList();
                outputs = await Task.Run(() => model.PredictTexts(texts), ct);
                stats.AddRange(texts.Select(t => (double)t.Length));
            }
            else
            {
                var images = new List<byte[]>();
                foreach (var item in chunk)
                {
                    images.Add(await artifacts.ReadAllAsync(item.BlobKey!, ct));
                }
                outputs = await Task.Run(() => model.PredictImages(images, imageSize), ct);
                stats.AddRange(images.Select(b => InputStats.Image(b)?.Brightness ?? 0));
            }
            foreach (var output in outputs)
            {
                var best = ServingService.ArgMax(output.Probabilities);
                counts[best]++;
                confidences.Add(output.Probabilities[best]);
                if (embeddings.Count < MaxEmbeddings)
                {
                    embeddings.Add(output.Embedding);
                }
            }
        }
        var data = new ReferenceData(counts, [.. confidences], [.. stats], [.. embeddings]);
        return new ReferenceProfile { VersionId = version.Id, Size = confidences.Count, Json = JsonSerializer.Serialize(data), CapturedAt = clock.GetUtcNow() };
    }
}
