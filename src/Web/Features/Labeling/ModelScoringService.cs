using System.Security.Claims;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using TransferHub.Registry.Features.Artifacts;
using TransferHub.Shared.Datasets;
using TransferHub.Shared.Experiments;
using TransferHub.Shared.Registry;
using TransferHub.Web.Data;
using TransferHub.Web.Features.Experiments;
using TransferHub.Web.Features.Projects;
using TransferHub.Web.Infrastructure;

namespace TransferHub.Web.Features.Labeling;

/// <summary>
/// A finished run's model scores the unlabeled items of its dataset: its top class becomes the pre-label annotators
/// confirm with one key, and its confidence orders the "least confident first" queue. A new scoring replaces the last.
/// </summary>
public sealed class ModelScoringService(
    IDbContextFactory<AppDbContext> dbFactory, IArtifactStore artifacts, IModelLoader loader, ProjectService projects, WriteGate writes, TimeProvider clock)
    : IItemScoreProvider
{
    private const int Batch = 64;

    public async Task<ScoringResult> ScoreUnlabeledAsync(ClaimsPrincipal caller, Guid runId, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var run = await db.TrainingRuns.AsNoTracking().SingleOrDefaultAsync(r => r.Id == runId, ct) ?? throw new NotFoundException($"Run {runId} does not exist.");
        await projects.RequireAsync(caller, run.ProjectId, a => a.CanEditData, ct);
        if (run.Status != RunStatus.Succeeded)
        {
            throw new ConflictException("Only a finished run's model can score items.");
        }
        var plan = JsonSerializer.Deserialize<RunPlan>(run.SpecJson, WireJson.Options)!;
        var datasetId = await db.DatasetVersions.Where(v => v.Id == plan.DatasetVersionId).Select(v => (Guid?)v.DatasetId).SingleOrDefaultAsync(ct)
            ?? throw new NotFoundException("The run's dataset version was deleted.");
        var labels = await db.LabelClasses.AsNoTracking().Where(l => l.DatasetId == datasetId).ToDictionaryAsync(l => l.Name, l => l.Id, ct);
        // Items pre-labeled by an import keep the file's label: a model's guess does not replace it.
        var imported = db.ItemScores.Where(s => s.DatasetId == datasetId && s.RunId == Guid.Empty).Select(s => s.ItemId);
        var items = await db.Items.AsNoTracking().Where(i => i.DatasetId == datasetId && i.FinalLabelIds == null && i.AnnotationCount == 0 && !imported.Contains(i.Id))
            .OrderBy(i => i.Sequence).Select(i => new { i.Id, i.Text, i.BlobKey }).ToListAsync(ct);
        byte[] weights;
        await using (var stream = await artifacts.OpenReadAsync(RunArtifacts.ModelKey(runId), ct))
        using (var buffer = new MemoryStream())
        {
            await stream.CopyToAsync(buffer, ct);
            weights = buffer.ToArray();
        }
        using var model = await Task.Run(() => loader.Load(weights), ct);
        var now = clock.GetUtcNow();
        var scores = new List<ItemScore>();
        var skipped = 0;
        foreach (var chunk in items.Chunk(Batch))
        {
            IReadOnlyList<ModelOutput> outputs;
            if (chunk[0].BlobKey is null)
            {
                outputs = await Task.Run(() => model.PredictTexts([.. chunk.Select(i => i.Text ?? "")]), ct);
            }
            else
            {
                var images = new List<byte[]>();
                foreach (var item in chunk)
                {
                    await using var content = await artifacts.OpenReadAsync(item.BlobKey!, ct);
                    using var buffer = new MemoryStream();
                    await content.CopyToAsync(buffer, ct);
                    images.Add(buffer.ToArray());
                }
                outputs = await Task.Run(() => model.PredictImages(images, plan.ImageSize), ct);
            }
            foreach (var (item, output) in chunk.Zip(outputs))
            {
                var best = Array.IndexOf(output.Probabilities, output.Probabilities.Max());
                if (best < model.Classes.Count && labels.TryGetValue(model.Classes[best], out var labelId))
                {
                    scores.Add(new ItemScore { ItemId = item.Id, DatasetId = datasetId, RunId = runId, LabelId = labelId, Confidence = output.Probabilities[best], ScoredAt = now });
                }
                else
                {
                    skipped++; // the model's class is not a label of this dataset (any more)
                }
            }
        }
        using (await writes.EnterAsync(ct))
        {
            await db.ItemScores.Where(s => s.DatasetId == datasetId && s.RunId != Guid.Empty).ExecuteDeleteAsync(ct);
            db.ItemScores.AddRange(scores);
            await db.SaveChangesAsync(ct);
        }
        return new ScoringResult(datasetId, runId, scores.Count, skipped);
    }

    public async Task<IReadOnlyDictionary<Guid, double>> GetConfidenceAsync(Guid datasetId, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.ItemScores.AsNoTracking().Where(s => s.DatasetId == datasetId).ToDictionaryAsync(s => s.ItemId, s => s.Confidence, ct);
    }
}
