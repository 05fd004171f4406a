using System.Security.Claims;
using Microsoft.EntityFrameworkCore;
using TransferHub.Registry.Features.Artifacts;
using TransferHub.Shared.Experiments;
using TransferHub.Shared.Training;
using TransferHub.Web.Data;
using TransferHub.Web.Features.Projects;
using TransferHub.Web.Infrastructure;

namespace TransferHub.Web.Features.Experiments;

/// <summary>
/// Ranks candidate sources for a dataset version with LogME (features) and LEEP (predictions) in seconds,
/// so a scientist sees which source is worth training before any training. Scores compare sources on the
/// same target only (LogME per sample depends on the target's size).
/// </summary>
public sealed class TransferabilityService(IDbContextFactory<AppDbContext> dbFactory, IArtifactStore artifacts, ProjectService projects, ITrainingEngine engine, TimeProvider clock)
{
    private static double? Finite(double value) => double.IsFinite(value) ? value : null;

    /// <summary>Keeps the latest scores per version and source, for the project's track record.</summary>
    private async Task KeepAsync(AppDbContext db, Guid projectId, Guid versionId, IReadOnlyList<SourceScoreDto> scores, CancellationToken ct)
    {
        var ids = scores.Select(s => s.SourceId).ToList();
        await db.TransferabilityScores.Where(s => s.ProjectId == projectId && s.VersionId == versionId && ids.Contains(s.SourceId)).ExecuteDeleteAsync(ct);
        db.TransferabilityScores.AddRange(scores.Select(s => new TransferabilityScore
        {
            ProjectId = projectId, VersionId = versionId, SourceId = s.SourceId, LogMe = s.LogMe, Leep = s.Leep, ComputedAt = clock.GetUtcNow(),
        }));
        await db.SaveChangesAsync(ct);
    }

    /// <summary>How often the ranking before training picked the source whose arm did best, over the project's experiments
    /// (the 50 latest) on versions whose sources were ranked.</summary>
    public async Task<TransferabilityRecordDto> TrackRecordAsync(ClaimsPrincipal caller, Guid projectId, CancellationToken ct)
    {
        await projects.RequireAsync(caller, projectId, a => a.CanRead, ct);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var scores = await db.TransferabilityScores.AsNoTracking().Where(s => s.ProjectId == projectId)
            .Select(s => new { s.VersionId, s.SourceId, s.LogMe, s.Leep }).ToListAsync(ct);
        var versions = scores.Select(s => s.VersionId).Distinct().ToList();
        var experiments = await db.Experiments.AsNoTracking().Where(e => e.ProjectId == projectId && versions.Contains(e.DatasetVersionId))
            .OrderByDescending(e => e.CreatedAt).Take(50).ToDictionaryAsync(e => e.Id, e => e.DatasetVersionId, ct);
        var experimentIds = experiments.Keys.ToList();
        var runs = await db.TrainingRuns.AsNoTracking().Where(r => experimentIds.Contains(r.ExperimentId) && r.Status == RunStatus.Succeeded && r.ResultJson != null)
            .Select(r => new { r.ExperimentId, r.SpecJson, r.ResultJson, r.LabelFraction }).ToListAsync(ct);
        var outcomes = runs.Select(r => (r.ExperimentId, r.LabelFraction, Plan: System.Text.Json.JsonSerializer.Deserialize<RunPlan>(r.SpecJson, ExperimentService.Json)!,
                F1: TrainingRun.ReadResult(r.ResultJson)!.Test.MacroF1))
            .Where(r => r.Plan.HasSource && !r.Plan.SourceShapeOnly && r.LabelFraction == 1)
            .GroupBy(r => (r.ExperimentId, Source: (r.Plan.SourceRunId ?? r.Plan.SourceWeightsId)!.Value))
            .Select(g =>
            {
                // LogME predicts frozen-feature accuracy: the frozen arm of a source where there is one, else its best arm.
                var frozen = g.Where(r => r.Plan.Spec.Strategy == Shared.Training.TrainingStrategy.FeatureExtraction).ToList();
                var outcome = frozen.Count > 0 ? frozen.Average(r => r.F1) : g.GroupBy(r => r.Plan.Spec.Strategy).Max(s => s.Average(r => r.F1));
                return (g.Key.ExperimentId, experiments[g.Key.ExperimentId], g.Key.Source, outcome);
            }).ToList();
        return TransferabilityRecord.Compute([.. scores.Select(s => (s.VersionId, s.SourceId, s.LogMe, s.Leep))], outcomes);
    }

    public async Task<IReadOnlyList<SourceScoreDto>> ScoreAsync(ClaimsPrincipal caller, Guid versionId, TransferabilityRequest request, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var projectId = await db.DatasetVersions.Where(v => v.Id == versionId)
            .Join(db.Datasets, v => v.DatasetId, d => d.Id, (v, d) => (Guid?)d.ProjectId).SingleOrDefaultAsync(ct)
            ?? throw new NotFoundException($"Version {versionId} does not exist.");
        await projects.RequireAsync(caller, projectId, a => a.CanRead, ct);
        var ids = request.Sources ?? [];
        var weightIds = request.Weights ?? [];
        if (ids.Count + weightIds.Count is 0 or > 20)
        {
            throw ValidationFailedException.For("sources", "Name 1 to 20 sources: finished runs and/or imported weights.");
        }
        var runs = await db.TrainingRuns.AsNoTracking().Where(r => ids.Contains(r.Id) && r.ProjectId == projectId && r.Status == RunStatus.Succeeded)
            .Join(db.Experiments, r => r.ExperimentId, e => e.Id, (r, e) => new { r.Id, Label = e.Name + " · " + r.Arm + " seed " + r.Seed }).ToListAsync(ct);
        if (runs.Count != ids.Distinct().Count())
        {
            throw ValidationFailedException.For("sources", "Every source run must be a finished run of this project.");
        }
        var imported = await db.PretrainedWeights.AsNoTracking().Where(w => weightIds.Contains(w.Id)).Select(w => new { w.Id, w.Name }).ToListAsync(ct);
        if (imported.Count != weightIds.Distinct().Count())
        {
            throw ValidationFailedException.For("weights", "No imported weights have one of those ids.");
        }
        var sources = runs.Select(r => (r.Id, r.Label, Key: RunArtifacts.ModelKey(r.Id), Kind: "run"))
            .Concat(imported.Select(w => (w.Id, Label: w.Name, Key: Weights.PretrainedWeights.ArtifactKey(w.Id), Kind: "weights"))).ToList();
        var folder = Path.Combine(Path.GetTempPath(), "transferhub-scores", Guid.NewGuid().ToString("N"));
        try
        {
            var data = await VersionLayout.WriteAsync(dbFactory, artifacts, versionId, folder, ct);
            var scores = new List<SourceScoreDto>();
            foreach (var source in sources)
            {
                var weights = Path.Combine(folder, $"{source.Id:N}.safetensors");
                await using (var stream = await artifacts.OpenReadAsync(source.Key, ct))
                await using (var file = File.Create(weights))
                {
                    await stream.CopyToAsync(file, ct);
                }
                var score = await Task.Run(() => engine.Score(data, weights, request.ImageSize ?? 32, Path.Combine(folder, "cache")), ct);
                scores.Add(new SourceScoreDto(source.Id, source.Label, Finite(score.LogMe), Finite(score.Leep), source.Kind));
            }
            await KeepAsync(db, projectId, versionId, scores, ct);
            return [.. scores.OrderByDescending(s => s.LogMe ?? double.NegativeInfinity)];
        }
        finally
        {
            engine.DeleteFolder(folder);
        }
    }
}
