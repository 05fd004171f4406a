using System.Security.Claims;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using TransferHub.Shared.Experiments;
using TransferHub.Shared.Statistics;
using TransferHub.Shared.Training;
using TransferHub.Web.Data;
using TransferHub.Web.Features.Datasets;
using TransferHub.Web.Features.Identity;
using TransferHub.Web.Features.Projects;
using TransferHub.Web.Infrastructure;

namespace TransferHub.Web.Features.Experiments;

/// <summary>Experiments: baseline versus transfer arms over seeds on one dataset version, queued as runs, summarised with verdicts.</summary>
public sealed class ExperimentService(IDbContextFactory<AppDbContext> dbFactory, ProjectService projects, JobQueue queue, Notifications.NotificationService notifications, TimeProvider clock)
{
    public static readonly JsonSerializerOptions Json = WireJson.Options;
    public const string Method = "Test macro-F1 per seed; mean ± 95 % t-interval over seeds. The verdict uses the difference from the baseline paired by seed, 95 % t-interval; "
        + "the bootstrap column resamples the test items (1 000 times, pooled across seeds, paired with the baseline) for a second 95 % interval.";

    public async Task<ExperimentDto> CreateAsync(ClaimsPrincipal caller, Guid projectId, CreateExperimentRequest request, CancellationToken ct)
    {
        await projects.RequireAsync(caller, projectId, a => a.CanEditData, ct);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var version = await db.DatasetVersions.AsNoTracking().Where(v => v.Id == request.DatasetVersionId)
            .Join(db.Datasets, v => v.DatasetId, d => d.Id, (v, d) => new { d.ProjectId, d.Kind, d.Task }).SingleOrDefaultAsync(ct);
        if (version is null || version.ProjectId != projectId)
        {
            throw ValidationFailedException.For("datasetVersionId", "No version of this project's datasets has that id.");
        }
        if (version.Task != Shared.Datasets.LabelTask.SingleLabel)
        {
            throw ValidationFailedException.For("datasetVersionId", "Experiments train single-label classifiers; multi-label training is not supported yet.");
        }
        var architecture = request.Architecture?.Trim() ?? "";
        if (!Training.Worker.LocalTraining.Architectures.Contains(architecture, StringComparer.OrdinalIgnoreCase))
        {
            throw ValidationFailedException.For("architecture", $"Architectures: {string.Join(", ", Training.Worker.LocalTraining.Architectures)}.");
        }
        if (Training.Worker.LocalTraining.IsTextArchitecture(architecture) != (version.Kind == Shared.Datasets.DatasetKind.Text))
        {
            throw ValidationFailedException.For("architecture", $"{architecture} does not fit a {version.Kind.ToString().ToLowerInvariant()} dataset.");
        }
        await RequireEveryClassInTrainingAsync(db, request.DatasetVersionId, ct);
        var seeds = request.Seeds ?? 3;
        var epochs = request.Epochs ?? 10;
        var imageSize = request.ImageSize ?? 32;
        if (seeds is < 1 or > 10 || epochs is < 1 or > 200 || imageSize is < 8 or > 512)
        {
            throw ValidationFailedException.For("seeds", "Seeds 1–10, epochs 1–200, image size 8–512.");
        }
        var patience = request.Patience ?? Math.Min(epochs, Math.Max(2, epochs / 3));
        if (patience < 0 || patience > epochs)
        {
            throw ValidationFailedException.For("patience", "Patience is 0 (no early stopping) up to the number of epochs.");
        }
        var baselineOverrides = request.Arms?.FirstOrDefault(a => a.Strategy == TrainingStrategy.Baseline)?.Overrides;
        var arms = new List<ArmRequest> { new("baseline", TrainingStrategy.Baseline, null, null, baselineOverrides) };
        foreach (var o in (request.Arms ?? []).Select(a => a.Overrides).Where(o => o is not null))
        {
            if (o!.LearningRate is <= 0 or > 10 || o.Epochs is < 1 or > 200 || o.BatchSize is < 1 or > 4096)
            {
                throw ValidationFailedException.For("arms", "An arm's learning rate is in (0, 10], its epochs 1–200, its batch size 1–4096.");
            }
        }
        foreach (var arm in request.Arms ?? [])
        {
            if (arm.Strategy == TrainingStrategy.Baseline)
            {
                continue;
            }
            if (arm.SourceRunId is null && arm.SourceWeightsId is null && arm.Strategy == TrainingStrategy.FeatureExtraction)
            {
                // The frozen-random control: tells "the source hurts" apart from "freezing costs capacity".
                arms.Add(arm with { Name = string.IsNullOrWhiteSpace(arm.Name) ? "frozen-random" : arm.Name.Trim() });
                continue;
            }
            var sourceArchitecture = await SourceArchitectureAsync(db, projectId, arm, ct);
            if (!sourceArchitecture.Equals(architecture, StringComparison.OrdinalIgnoreCase))
            {
                throw ValidationFailedException.For("arms", $"Arm '{arm.Name}': its source is a {sourceArchitecture}, which does not fit {architecture}; pick a source of the same architecture.");
            }
            arms.Add(arm with { Name = string.IsNullOrWhiteSpace(arm.Name) ? arm.Strategy.ToString() : arm.Name.Trim() });
        }
        // text-bert's shape (width, depth, vocabulary) comes with its weights: sourceless arms borrow the first source's
        // shape, so the baseline is the same encoder from scratch rather than BERT-tiny over the dataset's own words.
        var shape = TransferHub.Training.Models.Bert.BertRecipe.Applies(architecture)
            ? arms.FirstOrDefault(a => a.SourceRunId is not null || a.SourceWeightsId is not null)
            : null;
        var fractions = (request.LabelFractions is { Count: > 0 } given ? given : [1.0]).Distinct().Order().ToList();
        if (fractions.Count > 8 || fractions.Any(f => f is <= 0 or > 1))
        {
            throw ValidationFailedException.For("labelFractions", "Up to 8 label fractions, each above 0 and at most 1 (e.g. 0.1, 0.25, 0.5, 1).");
        }
        var experiment = new Experiment
        {
            ProjectId = projectId, Name = string.IsNullOrWhiteSpace(request.Name) ? $"Experiment {clock.GetUtcNow():yyyy-MM-dd HH:mm}" : request.Name.Trim(),
            DatasetVersionId = request.DatasetVersionId, Architecture = architecture, Seeds = seeds, Epochs = epochs, ImageSize = imageSize,
            CreatedById = caller.UserId(), CreatedAt = clock.GetUtcNow(),
        };
        db.Experiments.Add(experiment);
        await db.SaveChangesAsync(ct);
        var runs = (from fraction in fractions
                    from arm in arms
                    from seed in Enumerable.Range(1, seeds)
                    select new TrainingRun
                    {
                        ExperimentId = experiment.Id, ProjectId = projectId, Arm = arm.Name, Seed = seed, LabelFraction = fraction,
                        // The full-label runs first: they carry the verdict; smaller fractions fill in the efficiency curve.
                        Priority = fraction == fractions[^1] ? 1 : 0,
                        SpecJson = JsonSerializer.Serialize(new RunPlan(
                            new TrainingJobSpec(architecture, arm.Strategy, Seed: seed, Epochs: arm.Overrides?.Epochs ?? epochs,
                                BatchSize: arm.Overrides?.BatchSize ?? request.BatchSize ?? 32, LearningRate: arm.Overrides?.LearningRate ?? request.LearningRate ?? 1e-3,
                                Patience: Math.Min(patience, arm.Overrides?.Epochs ?? epochs), Device: "auto", Augment: arm.Overrides?.Augment ?? request.Augment,
                                BalanceClasses: arm.Overrides?.BalanceClasses ?? request.BalanceClasses),
                            request.DatasetVersionId, imageSize, arm.SourceRunId ?? (arm.SourceWeightsId is null ? shape?.SourceRunId : null),
                            arm.SourceWeightsId ?? (arm.SourceRunId is null ? shape?.SourceWeightsId : null), fraction,
                            SourceShapeOnly: arm.SourceRunId is null && arm.SourceWeightsId is null && shape is not null), Json),
                    }).ToList();
        await queue.EnqueueAsync(runs, ct);
        return await GetAsync(caller, experiment.Id, ct);
    }

    /// <summary>A class with examples only in validation or test cannot be learned: refuse before any training, naming it.</summary>
    private static async Task RequireEveryClassInTrainingAsync(AppDbContext db, Guid versionId, CancellationToken ct)
    {
        var rows = await db.VersionItems.AsNoTracking().Where(v => v.VersionId == versionId).Select(v => new { v.LabelIds, v.Split }).ToListAsync(ct);
        var bySplit = rows.SelectMany(r => LabelIds.Parse(r.LabelIds).Select(label => (label, r.Split))).ToList();
        var trained = bySplit.Where(x => x.Split == Shared.Datasets.Split.Train).Select(x => x.label).ToHashSet();
        var missing = bySplit.Select(x => x.label).Distinct().Where(label => !trained.Contains(label)).ToList();
        if (missing.Count > 0)
        {
            var names = await db.LabelClasses.AsNoTracking().Where(l => missing.Contains(l.Id)).Select(l => l.Name).ToListAsync(ct);
            throw ValidationFailedException.For("datasetVersionId",
                $"No training example in this version for: {string.Join(", ", names.Order())}. Label more of them, or take a new snapshot with another split.");
        }
    }

    /// <summary>The architecture of an arm's source: a finished run of this project, or imported weights.</summary>
    private static async Task<string> SourceArchitectureAsync(AppDbContext db, Guid projectId, ArmRequest arm, CancellationToken ct)
    {
        if (arm.SourceRunId is not null && arm.SourceWeightsId is not null)
        {
            throw ValidationFailedException.For("arms", $"Arm '{arm.Name}' names two sources: a run or weights, not both.");
        }
        if (arm.SourceWeightsId is { } weightsId)
        {
            return await db.PretrainedWeights.Where(w => w.Id == weightsId).Select(w => w.Architecture).SingleOrDefaultAsync(ct)
                ?? throw ValidationFailedException.For("arms", $"Arm '{arm.Name}': no imported weights have that id.");
        }
        var source = arm.SourceRunId is { } runId
            ? await db.TrainingRuns.AsNoTracking().SingleOrDefaultAsync(r => r.Id == runId && r.Status == RunStatus.Succeeded && r.ProjectId == projectId, ct)
            : null;
        return source is null
            ? throw ValidationFailedException.For("arms", $"Arm '{arm.Name}' needs a source: a finished run of this project or imported weights.")
            : JsonSerializer.Deserialize<RunPlan>(source.SpecJson, Json)!.Spec.Architecture;
    }

    public async Task<IReadOnlyList<ExperimentDto>> ListAsync(ClaimsPrincipal caller, Guid projectId, CancellationToken ct)
    {
        await projects.RequireAsync(caller, projectId, a => a.CanRead, ct);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var ids = await db.Experiments.Where(e => e.ProjectId == projectId).OrderByDescending(e => e.CreatedAt).Select(e => e.Id).ToListAsync(ct);
        var result = new List<ExperimentDto>();
        foreach (var id in ids)
        {
            result.Add(await GetAsync(caller, id, ct));
        }
        return result;
    }

    public async Task<ExperimentDto> GetAsync(ClaimsPrincipal caller, Guid experimentId, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var experiment = await db.Experiments.AsNoTracking().SingleOrDefaultAsync(e => e.Id == experimentId, ct)
            ?? throw new NotFoundException($"Experiment {experimentId} does not exist.");
        await projects.RequireAsync(caller, experiment.ProjectId, a => a.CanRead, ct);
        var runs = await db.TrainingRuns.AsNoTracking().Where(r => r.ExperimentId == experimentId).OrderBy(r => r.Arm).ThenBy(r => r.Seed).ToListAsync(ct);
        var runIds = runs.Select(r => r.Id).ToList();
        var history = (await db.RunMetrics.AsNoTracking().Where(m => runIds.Contains(m.RunId)).ToListAsync(ct))
            .Select(m => (m.RunId, Metrics: JsonSerializer.Deserialize<EpochMetrics>(m.Json, Json)!)).ToList();
        var epochs = history.GroupBy(h => h.RunId).ToDictionary(g => g.Key, g => g.Count());
        var lastEpoch = history.GroupBy(h => h.RunId).ToDictionary(g => g.Key, g => g.MaxBy(h => h.Metrics.Epoch).Metrics.EpochSeconds);
        var predictions = new Dictionary<Guid, ItemPredictions>();
        var dtos = runs.Select(r =>
        {
            var plan = JsonSerializer.Deserialize<RunPlan>(r.SpecJson, Json)!;
            var result = r.ResultJson is null ? null : JsonSerializer.Deserialize<TrainingResult>(r.ResultJson, Json);
            if (result is { TestPredictions: { } predicted, TestLabels: { } truth })
            {
                predictions[r.Id] = new ItemPredictions(r.Seed, truth, predicted);
            }
            return new RunDto(r.Id, r.Arm, plan.Spec.Strategy, r.Seed, r.Status, r.Attempt, epochs.GetValueOrDefault(r.Id),
                result?.Test.MacroF1, result?.Test.Accuracy, r.Error, r.StartedAt, r.CompletedAt, result?.Test.Confusion, r.LabelFraction,
                lastEpoch.TryGetValue(r.Id, out var seconds) ? seconds : null, result?.TotalSeconds, result?.Device, plan.Spec.Epochs,
                result?.Test.PerClass.Select(c => new ClassF1(result.Classes is { } names && c.Class < names.Count ? names[c.Class] : $"class {c.Class}", c.F1, c.Support)).ToList());
        }).ToList();
        // Verdicts, curves and warnings compare arms on all the labels; smaller shares feed the label-efficiency curve.
        var fullShare = runs.Count == 0 ? 1 : runs.Max(r => r.LabelFraction);
        var fullRuns = runs.Where(r => r.LabelFraction == fullShare).Select(r => r.Id).ToHashSet();
        history = [.. history.Where(h => fullRuns.Contains(h.RunId))];
        var (efficiency, efficiencyNotes) = LabelEfficiency.Summarise(dtos);
        var status = dtos.All(r => r.Status == RunStatus.Succeeded) ? "finished"
            : dtos.Any(r => r.Status is RunStatus.Running or RunStatus.Pending) ? "running" : "finished with failures";
        var byArm = runs.ToDictionary(r => r.Id, r => (r.Arm, r.Seed));
        var curves = history.GroupBy(h => byArm[h.RunId].Arm).OrderBy(g => g.Key == "baseline" ? 0 : 1).ThenBy(g => g.Key)
            .Select(g => new ArmCurve(g.Key, [.. g.GroupBy(h => h.Metrics.Epoch).OrderBy(e => e.Key).Select(e => new CurvePoint(e.Key, e.Count(),
                e.Average(h => h.Metrics.Validation.MacroF1), e.Min(h => h.Metrics.Validation.MacroF1), e.Max(h => h.Metrics.Validation.MacroF1),
                e.Average(h => h.Metrics.TrainLoss), e.Min(h => h.Metrics.TrainLoss), e.Max(h => h.Metrics.TrainLoss)))], StageEpochs(g))).ToList();
        var warnings = EarlyWarnings(history.Select(h => (byArm[h.RunId].Arm, byArm[h.RunId].Seed, h.Metrics)).ToList());
        return new ExperimentDto(experiment.Id, experiment.ProjectId, experiment.Name, experiment.DatasetVersionId, experiment.Architecture,
            experiment.Seeds, experiment.Epochs, experiment.ImageSize, experiment.CreatedAt, status, dtos,
            Summarise([.. dtos.Where(r => r.LabelFraction == fullShare)], predictions), Method, curves, warnings, efficiency, efficiencyNotes);
    }

    /// <summary>
    /// How many runs a definition makes, and about how long they take on one worker: training items × epochs × label share
    /// over the median samples/s that earlier runs of the same architecture and image size reached on this server.
    /// </summary>
    public async Task<ExperimentEstimate> EstimateAsync(ClaimsPrincipal caller, Guid versionId, string architecture, int imageSize, int arms,
        int seeds, int epochs, IReadOnlyList<double> fractions, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var projectId = await db.DatasetVersions.Where(v => v.Id == versionId).Join(db.Datasets, v => v.DatasetId, d => d.Id, (v, d) => (Guid?)d.ProjectId)
            .SingleOrDefaultAsync(ct) ?? throw new NotFoundException($"Version {versionId} does not exist.");
        await projects.RequireAsync(caller, projectId, a => a.CanRead, ct);
        var shares = fractions.Count == 0 ? [1.0] : fractions;
        var runs = arms * seeds * shares.Count;
        var trainItems = await db.VersionItems.CountAsync(v => v.VersionId == versionId && v.Split == Shared.Datasets.Split.Train, ct);
        var comparable = await db.RunMetrics.AsNoTracking()
            .Join(db.TrainingRuns, m => m.RunId, r => r.Id, (m, r) => new { m.Json, r.ExperimentId })
            .Join(db.Experiments.Where(e => e.Architecture == architecture && e.ImageSize == imageSize), x => x.ExperimentId, e => e.Id, (x, e) => x.Json)
            .Take(500).ToListAsync(ct);
        var rates = comparable.Select(j => JsonSerializer.Deserialize<EpochMetrics>(j, Json)!.SamplesPerSecond).Where(r => r > 0).Order().ToList();
        if (rates.Count == 0)
        {
            return new ExperimentEstimate(runs, null, $"no {architecture} run at {imageSize} px has finished an epoch here yet");
        }
        var rate = rates[rates.Count / 2];
        var seconds = seeds * arms * shares.Sum(f => trainItems * f * epochs / rate);
        return new ExperimentEstimate(runs, seconds, $"{trainItems} training items, median {rate:0} samples/s of earlier {architecture} runs at {imageSize} px, one run at a time");
    }

    /// <summary>Every finished run's per-item test predictions (class indices in the test split's order), for the export.</summary>
    public async Task<IReadOnlyList<RunPredictionsDto>> PredictionsAsync(ClaimsPrincipal caller, Guid experimentId, CancellationToken ct)
    {
        var experiment = await GetAsync(caller, experimentId, ct);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var rows = await db.TrainingRuns.AsNoTracking().Where(r => r.ExperimentId == experiment.Id && r.ResultJson != null)
            .Select(r => new { r.Id, r.Arm, r.Seed, r.LabelFraction, r.ResultJson }).ToListAsync(ct);
        return [.. rows.Select(r => (Run: r, Result: JsonSerializer.Deserialize<TrainingResult>(r.ResultJson!, Json)!))
            .Where(x => x.Result.TestPredictions is not null)
            .Select(x => new RunPredictionsDto(x.Run.Id, x.Run.Arm, x.Run.Seed, x.Run.LabelFraction, x.Result.TestLabels!, x.Result.TestPredictions!))];
    }

    /// <summary>Throws not-found for an unknown run and forbidden for a caller who cannot read its project.</summary>
    private async Task RequireRunReadableAsync(AppDbContext db, ClaimsPrincipal caller, Guid runId, CancellationToken ct)
    {
        var projectId = await db.TrainingRuns.Where(r => r.Id == runId).Select(r => (Guid?)r.ProjectId).SingleOrDefaultAsync(ct)
            ?? throw new NotFoundException($"Run {runId} does not exist.");
        await projects.RequireAsync(caller, projectId, a => a.CanRead, ct);
    }

    /// <summary>The experiment a run belongs to (read access checked).</summary>
    public async Task<ExperimentDto> GetByRunAsync(ClaimsPrincipal caller, Guid runId, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var experimentId = await db.TrainingRuns.Where(r => r.Id == runId).Select(r => (Guid?)r.ExperimentId).SingleOrDefaultAsync(ct)
            ?? throw new NotFoundException($"Run {runId} does not exist.");
        return await GetAsync(caller, experimentId, ct);
    }

    /// <summary>Every stored per-step training loss of a run, in step order.</summary>
    public async Task<IReadOnlyList<StepLoss>> StepsAsync(ClaimsPrincipal caller, Guid runId, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await RequireRunReadableAsync(db, caller, runId, ct);
        var batches = await db.RunSteps.AsNoTracking().Where(b => b.RunId == runId).OrderBy(b => b.FirstStep).Select(b => b.Json).ToListAsync(ct);
        return [.. batches.SelectMany(json => JsonSerializer.Deserialize<List<StepLoss>>(json, Json)!)];
    }

    public async Task<IReadOnlyList<RunMetricDto>> MetricsAsync(ClaimsPrincipal caller, Guid runId, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await RequireRunReadableAsync(db, caller, runId, ct);
        var rows = await db.RunMetrics.AsNoTracking().Where(m => m.RunId == runId).OrderBy(m => m.Epoch).ToListAsync(ct);
        return [.. rows.Select(m => new RunMetricDto(runId, m.Epoch, JsonSerializer.Deserialize<EpochMetrics>(m.Json, Json)!))];
    }

    public async Task CancelAsync(ClaimsPrincipal caller, Guid experimentId, CancellationToken ct)
    {
        var experiment = await GetAsync(caller, experimentId, ct);
        await projects.RequireAsync(caller, experiment.ProjectId, a => a.CanEditData, ct);
        foreach (var run in experiment.Runs.Where(r => r.Status is RunStatus.Pending or RunStatus.Running))
        {
            await queue.CancelAsync(run.Id, ct);
        }
    }

    /// <summary>Tells the experiment's owner, once per warning, that an arm looks like negative transfer while it still trains.</summary>
    public async Task NotifyWarningsAsync(Guid experimentId, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var experiment = await db.Experiments.SingleAsync(e => e.Id == experimentId, ct);
        var all = await db.TrainingRuns.AsNoTracking().Where(r => r.ExperimentId == experimentId).Select(r => new { r.Id, r.Arm, r.Seed, r.LabelFraction }).ToListAsync(ct);
        var runs = all.Where(r => r.LabelFraction == all.Max(a => a.LabelFraction)).ToDictionary(r => r.Id);
        if (runs.Values.All(r => r.Arm == "baseline"))
        {
            return; // nothing to compare yet: skip reading the whole history on every epoch
        }
        var ids = runs.Keys.ToList();
        var history = (await db.RunMetrics.AsNoTracking().Where(m => ids.Contains(m.RunId)).ToListAsync(ct))
            .Select(m => { var run = runs[m.RunId]; return (run.Arm, run.Seed, JsonSerializer.Deserialize<EpochMetrics>(m.Json, Json)!); }).ToList();
        var sent = experiment.NotifiedWarnings.Split('\n', StringSplitOptions.RemoveEmptyEntries).ToHashSet();
        foreach (var warning in EarlyWarnings(history).Where(w => !sent.Contains(w)))
        {
            await notifications.PostAsync(experiment.CreatedById, $"{experiment.Name}: possible negative transfer", warning, $"/experiments/{experimentId}", ct);
            sent.Add(warning);
        }
        experiment.NotifiedWarnings = string.Join('\n', sent);
        await db.SaveChangesAsync(ct);
    }

    /// <summary>Epochs (after the first) at which a run of the arm trained more parameters than the epoch before: the unfreezing stages.</summary>
    private static IReadOnlyList<int> StageEpochs(IEnumerable<(Guid RunId, EpochMetrics Metrics)> arm) =>
        [.. arm.GroupBy(h => h.RunId).SelectMany(run =>
        {
            var epochs = run.OrderBy(h => h.Metrics.Epoch).ToList();
            return epochs.Skip(1).Where((h, i) => h.Metrics.TrainableParameters > epochs[i].Metrics.TrainableParameters).Select(h => h.Metrics.Epoch);
        }).Distinct().Order()];

    /// <summary>How far (validation macro-F1) a transfer arm may trail the baseline at the same epoch before it is flagged.</summary>
    public const double WarningMargin = 0.05;

    /// <summary>
    /// "Possible negative transfer": a transfer arm whose validation macro-F1 trails the baseline's, same seed and
    /// epoch, by more than <see cref="WarningMargin"/> for two consecutive epochs. Shown while training, before any verdict.
    /// </summary>
    internal static IReadOnlyList<string> EarlyWarnings(IReadOnlyList<(string Arm, int Seed, EpochMetrics Metrics)> history)
    {
        var baseline = history.Where(h => h.Arm == "baseline").ToDictionary(h => (h.Seed, h.Metrics.Epoch), h => h.Metrics.Validation.MacroF1);
        var warnings = new List<string>();
        foreach (var arm in history.Where(h => h.Arm != "baseline").GroupBy(h => h.Arm).OrderBy(g => g.Key))
        {
            var flagged = arm.GroupBy(h => h.Seed).Any(seed =>
            {
                var trailing = 0;
                foreach (var h in seed.OrderBy(h => h.Metrics.Epoch))
                {
                    var reference = baseline.TryGetValue((h.Seed, h.Metrics.Epoch), out var b) ? b : (double?)null;
                    trailing = reference is not null && h.Metrics.Validation.MacroF1 < reference - WarningMargin ? trailing + 1 : 0;
                    if (trailing >= 2)
                    {
                        return true;
                    }
                }
                return false;
            });
            if (flagged)
            {
                warnings.Add($"Possible negative transfer: '{arm.Key}' trails the baseline's validation macro-F1 by more than {WarningMargin:0.00} for two epochs in a row.");
            }
        }
        return warnings;
    }

    /// <summary>Per arm: mean test macro-F1 with its t-interval, and the seed-paired difference from the baseline with its t-interval and verdict.</summary>
    internal static IReadOnlyList<ArmResultDto> Summarise(IReadOnlyList<RunDto> runs, IReadOnlyDictionary<Guid, ItemPredictions>? predictions = null)
    {
        predictions ??= new Dictionary<Guid, ItemPredictions>();
        var baselineItems = runs.Where(r => r.Arm == "baseline" && predictions.ContainsKey(r.Id)).Select(r => predictions[r.Id]).ToList();
        var baseline = runs.Where(r => r.Arm == "baseline" && r.TestMacroF1 is not null).ToDictionary(r => r.Seed, r => r.TestMacroF1!.Value);
        return [.. runs.GroupBy(r => r.Arm).OrderBy(g => g.Key == "baseline" ? 0 : 1).ThenBy(g => g.Key).Select(g =>
        {
            var done = g.Where(r => r.TestMacroF1 is not null).ToList();
            if (done.Count == 0)
            {
                return new ArmResultDto(g.Key, g.First().Strategy, 0, null, null, null, null, null, null, "waiting for results");
            }
            var cost = done.Sum(r => r.TrainSeconds ?? 0);
            var device = string.Join("/", done.Select(r => r.Device?.Split(':')[0].ToUpperInvariant()).Where(d => d is not null).Distinct());
            var (mean, low, high) = Intervals.MeanT95([.. done.Select(r => r.TestMacroF1!.Value)]);
            if (g.Key == "baseline")
            {
                return new ArmResultDto(g.Key, g.First().Strategy, done.Count, mean, low, high, null, null, null, "reference", null, null, cost, device);
            }
            var paired = done.Where(r => baseline.ContainsKey(r.Seed)).Select(r => r.TestMacroF1!.Value - baseline[r.Seed]).ToList();
            if (paired.Count == 0)
            {
                return new ArmResultDto(g.Key, g.First().Strategy, done.Count, mean, low, high, null, null, null, "waiting for the baseline", null, null, cost, device);
            }
            var (diff, dLow, dHigh) = Intervals.MeanT95(paired);
            var bootstrap = PairedBootstrap.MacroF1Difference(baselineItems, [.. done.Where(r => predictions.ContainsKey(r.Id)).Select(r => predictions[r.Id])]);
            return new ArmResultDto(g.Key, g.First().Strategy, done.Count, mean, low, high, diff, dLow, dHigh, Intervals.Verdict(dLow, dHigh),
                bootstrap?.Low, bootstrap?.High, cost, device);
        })];
    }
}
