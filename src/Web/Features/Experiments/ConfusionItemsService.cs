using System.Security.Claims;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using TransferHub.Shared.Datasets;
using TransferHub.Shared.Experiments;
using TransferHub.Shared.Training;
using TransferHub.Web.Data;
using TransferHub.Web.Features.Labeling;
using TransferHub.Web.Features.Projects;
using TransferHub.Web.Infrastructure;

namespace TransferHub.Web.Features.Experiments;

/// <summary>
/// From a cell of a run's confusion matrix back to its test items (fastai's <c>plot_top_losses</c> path): the worker names
/// each test item in its result (the file name or JSONL id the version was laid out with — a content hash prefix), and the
/// version's test split says which item that is.
/// </summary>
public sealed class ConfusionItemsService(IDbContextFactory<AppDbContext> dbFactory, ProjectService projects)
{
    /// <summary>The most items one cell returns.</summary>
    public const int MaxItems = 200;

    public async Task<ConfusionCellDto> CellAsync(ClaimsPrincipal caller, Guid runId, int actual, int predicted, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var run = await db.TrainingRuns.AsNoTracking().SingleOrDefaultAsync(r => r.Id == runId, ct)
            ?? throw new NotFoundException($"Run {runId} does not exist.");
        await projects.RequireAsync(caller, run.ProjectId, a => a.CanRead, ct);
        var result = TrainingRun.ReadResult(run.ResultJson);
        if (result is not { TestPredictions: { } predictions, TestLabels: { } truth })
        {
            throw new ConflictException("This run has no test predictions: it has not finished.");
        }
        var classes = result.Test.Confusion.Length;
        foreach (var (field, value) in new[] { ("actual", actual), ("predicted", predicted) })
        {
            if (value < 0 || value >= classes) throw ValidationFailedException.For(field, $"A class index from 0 to {classes - 1}.");
        }
        if (result.TestItems is not { } names)
        {
            throw new ConflictException("This run did not record its test items (it trained before they were recorded): run the arm again to see them.");
        }
        var keys = Enumerable.Range(0, predictions.Count).Where(k => truth[k] == actual && predictions[k] == predicted).Select(k => names[k]).ToList();

        var versionId = await db.Experiments.Where(e => e.Id == run.ExperimentId).Select(e => e.DatasetVersionId).SingleAsync(ct);
        var tested = await (from v in db.VersionItems.AsNoTracking()
                            join i in db.Items.AsNoTracking() on v.ItemId equals i.Id
                            where v.VersionId == versionId && v.Split == Split.Test
                            select new { i.Id, i.ContentHash }).ToListAsync(ct);
        var byName = tested.GroupBy(t => t.ContentHash[..16]).ToDictionary(g => g.Key, g => g.First().Id);
        var ids = keys.Select(k => byName.GetValueOrDefault(k)).Where(id => id != Guid.Empty).Take(MaxItems).ToList();
        var items = await db.Items.AsNoTracking().Where(i => ids.Contains(i.Id)).ToDictionaryAsync(i => i.Id, ct);
        var datasetId = await db.DatasetVersions.Where(v => v.Id == versionId).Select(v => v.DatasetId).SingleAsync(ct);
        var dataset = await db.Datasets.AsNoTracking().Include(d => d.Labels).SingleAsync(d => d.Id == datasetId, ct);
        string Name(int c) => result.Classes is { } n && c < n.Count ? n[c] : $"class {c}";
        return new ConfusionCellDto(run.Id, dataset.Id, run.Arm, run.Seed, Name(actual), Name(predicted), keys.Count,
            [.. ids.Where(items.ContainsKey).Select(id => LabelingService.ToDto(dataset, items[id]))]);
    }
}
