using TransferHub.Shared.Telemetry;
using System.Security.Claims;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using TransferHub.Shared.Experiments;
using TransferHub.Shared.Statistics;
using TransferHub.Shared.Training;
using TransferHub.Shared.Webhooks;
using TransferHub.Web.Data;
using TransferHub.Web.Features.Datasets;
using TransferHub.Web.Features.Identity;
using TransferHub.Web.Features.Projects;
using TransferHub.Web.Infrastructure;
using static TransferHub.Web.Features.Experiments.ExperimentRequestValidator;

namespace TransferHub.Web.Features.Experiments;

/// <summary>Experiments: baseline versus transfer arms over seeds on one dataset version, queued as runs, summarised with verdicts.</summary>
public sealed partial class ExperimentService(IDbContextFactory<AppDbContext> dbFactory, ProjectService projects, JobQueue queue, Notifications.NotificationService notifications,
    Webhooks.WebhookOutbox webhooks, WriteGate writes, ITrainingEngine engine, TimeProvider clock, ILogger<ExperimentService> logger)
{
    public static readonly JsonSerializerOptions Json = WireJson.Options;
    public const string Method = "Test macro-F1 per seed; mean ± 95 % t-interval over seeds (clipped to [0, 1]). The verdict uses the difference from the baseline "
        + "paired by seed, 95 % t-interval: positive above zero, negative below; equivalent when two one-sided tests put it within ± the smallest gain that matters; "
        + "unreliable when a baseline seed did not converge or failed, or an arm had more optimizer steps than its baseline. The bootstrap column resamples seeds "
        + "and then test items (hierarchical, 1 000 times, paired with the baseline) for a second 95 % interval. Per-class differences: paired t-tests over seeds, Holm-adjusted.";

    public async Task<ExperimentDto> CreateAsync(ClaimsPrincipal caller, Guid projectId, CreateExperimentRequest request, CancellationToken ct)
    {
        // A span of its own (a page has no request span): the experiment's runs carry it to their workers.
        using var activity = AppMetrics.Activities.StartActivity("experiment.create");
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
        if (!engine.Architectures.Contains(architecture, StringComparer.OrdinalIgnoreCase))
        {
            throw ValidationFailedException.For("architecture", $"Architectures: {string.Join(", ", engine.Architectures)}.");
        }
        if (engine.IsText(architecture) != (version.Kind == Shared.Datasets.DatasetKind.Text))
        {
            throw ValidationFailedException.For("architecture", $"{architecture} does not fit a {version.Kind.ToString().ToLowerInvariant()} dataset.");
        }
        await RequireEveryClassInTrainingAsync(db, request.DatasetVersionId, ct);
        var seeds = request.Seeds ?? 3;
        var imageSize = request.ImageSize ?? 32;
        var batchSize = request.BatchSize ?? 32;
        var learningRate = request.LearningRate ?? 1e-3;
        var minimumGain = request.MinimumGain ?? ArmVerdicts.DefaultMinimumGain;
        ExperimentRequestValidator.Validate(request, seeds, imageSize, batchSize, learningRate, minimumGain);
        // A budget in optimizer steps unless the caller asks for fixed epochs: ten epochs of 30 images are ten steps.
        var trainCount = await db.VersionItems.CountAsync(v => v.VersionId == request.DatasetVersionId && v.Split == Shared.Datasets.Split.Train, ct);
        int? steps = request.Epochs is null ? request.Steps ?? StepBudget.DefaultSteps(trainCount, batchSize) : null;
        var epochs = request.Epochs ?? StepBudget.Plan(new TrainingJobSpec(architecture, TrainingStrategy.Baseline, BatchSize: batchSize, Steps: steps), trainCount).Epochs;
        var patience = request.Patience ?? Math.Min(epochs, Math.Max(2, epochs / 3));
        if (request.Epochs is not null && (patience < 0 || patience > epochs))
        {
            throw ValidationFailedException.For("patience", "Patience is 0 (no early stopping) up to the number of epochs.");
        }
        if (request.PatienceSteps is < 0 || request.PatienceSteps > steps)
        {
            throw ValidationFailedException.For("patienceSteps", "Patience in steps is 0 (no early stopping) up to the step budget.");
        }
        var baselineOverrides = request.Arms?.FirstOrDefault(a => a.Strategy == TrainingStrategy.Baseline)?.Overrides;
        var arms = new List<ArmRequest> { new("baseline", TrainingStrategy.Baseline, null, null, baselineOverrides) };
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
        var shape = engine.ShapeComesWithWeights(architecture)
            ? arms.FirstOrDefault(a => a.SourceRunId is not null || a.SourceWeightsId is not null)
            : null;
        if (shape is null && engine.NeedsSource(architecture))
        {
            throw ValidationFailedException.For("arms", $"A {architecture} model is built from its imported source: add an arm that transfers from an imported ONNX model.");
        }
        var fractions = ExperimentRequestValidator.LabelFractions(request);
        var experiment = new Experiment
        {
            ProjectId = projectId, Name = string.IsNullOrWhiteSpace(request.Name) ? $"Experiment {clock.GetUtcNow():yyyy-MM-dd HH:mm}" : request.Name.Trim(),
            DatasetVersionId = request.DatasetVersionId, Architecture = architecture, Seeds = seeds, Epochs = epochs, ImageSize = imageSize,
            Steps = steps ?? 0, MinimumGain = minimumGain, MaxSeeds = request.MaxSeeds ?? 0,
            CreatedById = caller.UserId(), CreatedAt = clock.GetUtcNow(),
        };
        db.Experiments.Add(experiment);
        var runs = (from fraction in fractions
                    from arm in arms
                    from seed in Enumerable.Range(1, seeds)
                    select new TrainingRun
                    {
                        ExperimentId = experiment.Id, ProjectId = projectId, Arm = arm.Name, Seed = seed, LabelFraction = fraction,
                        // The full-label runs first: they carry the verdict; smaller fractions fill in the efficiency curve.
                        Priority = fraction == fractions[^1] ? 1 : 0,
                        SpecJson = JsonSerializer.Serialize(new RunPlan(
                            RunSpec(architecture, arm, seed, request, steps, epochs, patience, batchSize, learningRate),
                            request.DatasetVersionId, imageSize, arm.SourceRunId ?? (arm.SourceWeightsId is null ? shape?.SourceRunId : null),
                            arm.SourceWeightsId ?? (arm.SourceRunId is null ? shape?.SourceWeightsId : null), fraction,
                            SourceShapeOnly: arm.SourceRunId is null && arm.SourceWeightsId is null && shape is not null), Json),
                    }).ToList();
        // The experiment and its runs in one SaveChanges, so one transaction: a failure leaves neither.
        queue.Stage(db, runs);
        await db.SaveChangesAsync(ct);
        await queue.SignalAsync(db, ct);
        return await GetAsync(caller, experiment.Id, ct);
    }

    /// <summary>The batch size the baseline's runs ask for (what the budget's description uses).</summary>
    private static int BatchSizeOf(IReadOnlyList<TrainingRun> runs) =>
        runs.Select(r => JsonSerializer.Deserialize<RunPlan>(r.SpecJson, Json)!.Spec.BatchSize).FirstOrDefault(32);

    /// <summary>One run's spec. Every arm gets the same budget rule; a new head's rate is explicit: by default the learning rate
    /// itself (a fine-tuned arm optimizes like the baseline, so an untrained source comes out even), 10× for feature
    /// extraction, where the head is all that trains.</summary>
    private static TrainingJobSpec RunSpec(string architecture, ArmRequest arm, int seed, CreateExperimentRequest request, int? steps, int epochs,
        int patience, int batchSize, double learningRate)
    {
        var o = arm.Overrides;
        var rate = o?.LearningRate ?? learningRate;
        var armEpochs = o?.Epochs;
        var armSteps = armEpochs is null ? o?.Steps ?? steps : null;
        var head = o?.HeadLearningRate ?? request.HeadLearningRate ?? (arm.Strategy == TrainingStrategy.FeatureExtraction ? rate * 10 : rate);
        return new TrainingJobSpec(architecture, arm.Strategy, Seed: seed, Epochs: armEpochs ?? epochs, BatchSize: o?.BatchSize ?? batchSize,
            LearningRate: rate, HeadLearningRate: arm.Strategy == TrainingStrategy.Baseline ? null : head,
            Patience: Math.Min(patience, armEpochs ?? epochs), Device: "auto", Augment: o?.Augment ?? request.Augment,
            BalanceClasses: o?.BalanceClasses ?? request.BalanceClasses, Steps: armSteps,
            PatienceSteps: armSteps is null ? null : request.PatienceSteps is { } p ? Math.Min(p, armSteps.Value) : null,
            FindLearningRate: request.FindLearningRate && o?.LearningRate is null);
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
        var experiments = await db.Experiments.AsNoTracking().Where(e => e.ProjectId == projectId).OrderByDescending(e => e.CreatedAt).ThenByDescending(e => e.Id).ToListAsync(ct);
        return await BuildAllAsync(db, experiments, ct);
    }

    /// <summary>Every experiment of every project the caller may read, newest first: the list page's one read.</summary>
    public async Task<IReadOnlyList<ExperimentDto>> ListVisibleAsync(ClaimsPrincipal caller, CancellationToken ct)
    {
        var readable = (await projects.ListAsync(caller, ct)).Select(p => p.Id).ToList();
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var experiments = await db.Experiments.AsNoTracking().Where(e => readable.Contains(e.ProjectId)).OrderByDescending(e => e.CreatedAt).ThenByDescending(e => e.Id).ToListAsync(ct);
        return await BuildAllAsync(db, experiments, ct);
    }

    /// <summary>
    /// The succeeded runs of the projects where the caller edits data — what can be registered as a model — by project name,
    /// newest experiment first, then arm and seed. One query for the runs, without building each experiment's verdicts.
    /// </summary>
    public async Task<IReadOnlyList<SucceededRunDto>> ListRegistrableRunsAsync(ClaimsPrincipal caller, CancellationToken ct)
    {
        var editable = (await projects.ListAsync(caller, ct)).Where(p => caller.IsAdmin() || TransferHub.Shared.Projects.ProjectPermissions.CanEditData(p.MyRole)).ToList();
        var ids = editable.Select(p => p.Id).ToList();
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var rows = await db.TrainingRuns.AsNoTracking().Where(r => r.Status == RunStatus.Succeeded)
            .Join(db.Experiments.Where(e => ids.Contains(e.ProjectId)), r => r.ExperimentId, e => e.Id,
                (r, e) => new { r.Id, e.ProjectId, Experiment = e.Name, e.CreatedAt, r.Arm, r.Seed, r.ResultJson })
            .ToListAsync(ct);
        var order = editable.Select((p, i) => (p.Id, i)).ToDictionary(x => x.Id, x => x.i);
        return [.. rows.OrderBy(r => order[r.ProjectId]).ThenByDescending(r => r.CreatedAt).ThenBy(r => r.Arm, StringComparer.Ordinal).ThenBy(r => r.Seed)
            .Select(r => new SucceededRunDto(r.Id, r.ProjectId, editable[order[r.ProjectId]].Name, r.Experiment, r.Arm, r.Seed,
                TrainingRun.ReadResult(r.ResultJson)?.Test.MacroF1))];
    }

    // Runs, epoch metrics and training-split sizes of all the experiments in three queries, not three per experiment.
    private async Task<IReadOnlyList<ExperimentDto>> BuildAllAsync(AppDbContext db, IReadOnlyList<Experiment> experiments, CancellationToken ct)
    {
        var loaded = await LoadAsync(db, experiments, ct);
        var result = new List<ExperimentDto>(experiments.Count);
        foreach (var experiment in experiments)
        {
            result.Add(await BuildAsync(db, experiment, loaded, ct));
        }
        return result;
    }

    private sealed record Loaded(ILookup<Guid, TrainingRun> Runs, ILookup<Guid, RunMetric> Metrics, IReadOnlyDictionary<Guid, int> TrainCounts);

    private static async Task<Loaded> LoadAsync(AppDbContext db, IReadOnlyList<Experiment> experiments, CancellationToken ct)
    {
        var ids = experiments.Select(e => e.Id).ToList();
        var runs = await db.TrainingRuns.AsNoTracking().Where(r => ids.Contains(r.ExperimentId)).OrderBy(r => r.Arm).ThenBy(r => r.Seed).ToListAsync(ct);
        var runIds = runs.Select(r => r.Id).ToList();
        var metrics = await db.RunMetrics.AsNoTracking().Where(m => runIds.Contains(m.RunId)).ToListAsync(ct);
        // The training split's size is needed for a step budget's description and for label savings (several label shares).
        var byExperiment = runs.ToLookup(r => r.ExperimentId);
        var versions = experiments.Where(e => e.Steps > 0 || byExperiment[e.Id].Select(r => r.LabelFraction).Distinct().Skip(1).Any())
            .Select(e => e.DatasetVersionId).Distinct().ToList();
        var trainCounts = versions.Count == 0 ? new Dictionary<Guid, int>()
            : await db.VersionItems.Where(v => versions.Contains(v.VersionId) && v.Split == Shared.Datasets.Split.Train)
                .GroupBy(v => v.VersionId).Select(g => new { g.Key, Count = g.Count() }).ToDictionaryAsync(g => g.Key, g => g.Count, ct);
        return new Loaded(byExperiment, metrics.ToLookup(m => m.RunId), trainCounts);
    }

    public async Task<ExperimentDto> GetAsync(ClaimsPrincipal caller, Guid experimentId, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var experiment = await db.Experiments.AsNoTracking().SingleOrDefaultAsync(e => e.Id == experimentId, ct)
            ?? throw new NotFoundException($"Experiment {experimentId} does not exist.");
        await projects.RequireAsync(caller, experiment.ProjectId, a => a.CanRead, ct);
        return await BuildAsync(db, experiment, ct);
    }

    private async Task<ExperimentDto> BuildAsync(AppDbContext db, Experiment experiment, CancellationToken ct) =>
        await BuildAsync(db, experiment, await LoadAsync(db, [experiment], ct), ct);

    private async Task<ExperimentDto> BuildAsync(AppDbContext db, Experiment experiment, Loaded loaded, CancellationToken ct)
    {
        var runs = loaded.Runs[experiment.Id].ToList();
        var history = runs.SelectMany(r => loaded.Metrics[r.Id])
            .Select(m => (m.RunId, Metrics: JsonSerializer.Deserialize<EpochMetrics>(m.Json, Json)!)).ToList();
        var latest = history.GroupBy(h => h.RunId).ToDictionary(g => g.Key, g => g.MaxBy(h => h.Metrics.Epoch).Metrics);
        var predictions = new Dictionary<Guid, ItemPredictions>();
        var dtos = runs.Select(r =>
        {
            var plan = JsonSerializer.Deserialize<RunPlan>(r.SpecJson, Json)!;
            var result = TrainingRun.ReadResult(r.ResultJson);
            if (result is { TestPredictions: { } predicted, TestLabels: { } truth })
            {
                predictions[r.Id] = new ItemPredictions(r.Seed, truth, predicted);
            }
            var last = latest.GetValueOrDefault(r.Id);
            return new RunDto(r.Id, r.Arm, plan.Spec.Strategy, r.Seed, r.Status, r.Attempt, last?.Epoch ?? 0,
                result?.Test.MacroF1, result?.Test.Accuracy, r.Error, r.StartedAt, r.CompletedAt, result?.Test.Confusion, r.LabelFraction,
                last?.EpochSeconds, result?.TotalSeconds, result?.Device, result?.Spec.Epochs ?? plan.Spec.Epochs,
                result?.Test.PerClass.Select(c => new ClassF1(result.Classes is { } names && c.Class < names.Count ? names[c.Class] : $"class {c.Class}", c.F1, c.Support)).ToList(),
                plan.HasSource && !plan.SourceShapeOnly, result?.BudgetSteps is > 0 ? result.BudgetSteps : plan.Spec.Steps, last?.Steps, last?.StepSeconds is > 0 ? last.StepSeconds : null,
                result?.Convergence?.Converged, result?.Convergence?.Reason, (result?.Spec ?? plan.Spec).LearningRate, (result?.Spec ?? plan.Spec).HeadLearningRate,
                plan.Spec.FindLearningRate, result?.RateSearch?.Reason, result?.Classes, result?.TestItems is not null);
        }).ToList();
        // Verdicts, curves and warnings compare arms on all the labels; smaller shares feed the label-efficiency curve.
        var fullShare = runs.Count == 0 ? 1 : runs.Max(r => r.LabelFraction);
        var fullRuns = runs.Where(r => r.LabelFraction == fullShare).Select(r => r.Id).ToHashSet();
        history = [.. history.Where(h => fullRuns.Contains(h.RunId))];
        var (efficiency, efficiencyNotes) = LabelEfficiency.Summarise(dtos);
        var trainCount = loaded.TrainCounts.GetValueOrDefault(experiment.DatasetVersionId);
        IReadOnlyList<LabelingSavings>? savings = null;
        if (efficiency.Count > 0)
        {
            // Hours saved: the training split's size and how long this dataset's annotators took per label.
            var datasetId = await db.DatasetVersions.Where(v => v.Id == experiment.DatasetVersionId).Select(v => v.DatasetId).SingleAsync(ct);
            var durations = await db.Annotations.AsNoTracking().Where(a => a.DatasetId == datasetId && a.DurationMs > 0)
                .OrderByDescending(a => a.CreatedAt).Take(10_000).Select(a => a.DurationMs!.Value / 1000.0).ToListAsync(ct);
            savings = LabelEfficiency.Savings(efficiency, trainCount, LabelSeconds.From(durations));
            efficiencyNotes = [.. efficiencyNotes, .. savings.Select(LabelEfficiency.Describe)];
        }
        var status = dtos.All(r => r.Status == RunStatus.Succeeded) ? "finished"
            : dtos.Any(r => r.Status is RunStatus.Running or RunStatus.Pending) ? "running" : "finished with failures";
        var byArm = runs.ToDictionary(r => r.Id, r => (r.Arm, r.Seed));
        var curves = history.GroupBy(h => byArm[h.RunId].Arm).OrderBy(g => g.Key == "baseline" ? 0 : 1).ThenBy(g => g.Key)
            .Select(g => new ArmCurve(g.Key, [.. g.GroupBy(h => h.Metrics.Epoch).OrderBy(e => e.Key).Select(e => new CurvePoint(e.Key, e.Count(),
                e.Average(h => h.Metrics.Validation.MacroF1), e.Min(h => h.Metrics.Validation.MacroF1), e.Max(h => h.Metrics.Validation.MacroF1),
                e.Average(h => h.Metrics.TrainLoss), e.Min(h => h.Metrics.TrainLoss), e.Max(h => h.Metrics.TrainLoss)))], StageEpochs(g))).ToList();
        var controls = dtos.Where(r => r.Strategy == TrainingStrategy.FeatureExtraction && !r.HasSource).Select(r => r.Arm).ToHashSet();
        var warnings = ArmVerdicts.EarlyWarnings([.. history.Select(h => (byArm[h.RunId].Arm, byArm[h.RunId].Seed, h.Metrics))], controls);
        var results = ArmVerdicts.Summarise([.. dtos.Where(r => r.LabelFraction == fullShare)], predictions, experiment.MinimumGain);
        return new ExperimentDto(experiment.Id, experiment.ProjectId, experiment.Name, experiment.DatasetVersionId, experiment.Architecture,
            experiment.Seeds, experiment.Epochs, experiment.ImageSize, experiment.CreatedAt, status, dtos,
            results, Method, curves, [.. ArmVerdicts.SanityWarnings(results), .. warnings],
            efficiency, efficiencyNotes, experiment.Steps, experiment.MinimumGain,
            experiment.Steps > 0 ? StepBudget.Describe(experiment.Steps, trainCount, BatchSizeOf(runs)) : null, savings, experiment.MaxSeeds);
    }

    /// <summary>
    /// How many runs a definition makes, its budget in words, and about how long they take on one worker: each run's optimizer
    /// steps times the median whole-run seconds per step (training, validation, checkpoints, feature caching) of earlier finished
    /// runs of the same architecture and image size here; before any, the median training throughput of their epochs.
    /// </summary>
    public async Task<ExperimentEstimate> EstimateAsync(ClaimsPrincipal caller, Guid versionId, string architecture, int imageSize, int arms,
        int seeds, int? epochs, int? steps, int batchSize, IReadOnlyList<double> fractions, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var projectId = await db.DatasetVersions.Where(v => v.Id == versionId).Join(db.Datasets, v => v.DatasetId, d => d.Id, (v, d) => (Guid?)d.ProjectId)
            .SingleOrDefaultAsync(ct) ?? throw new NotFoundException($"Version {versionId} does not exist.");
        await projects.RequireAsync(caller, projectId, a => a.CanRead, ct);
        if (fractions.Any(f => !(f > 0 && f <= 1)) || batchSize is < 1 or > MaxBatchSize || epochs is < 1 or > MaxEpochs || steps is < MinSteps or > MaxSteps)
        {
            throw ValidationFailedException.For("fractions", $"Label shares in (0, 1], batch size 1–{MaxBatchSize}, epochs 1–{MaxEpochs}, steps {MinSteps}–{MaxSteps}.");
        }
        var shares = fractions.Count == 0 ? [1.0] : fractions;
        var runs = arms * seeds * shares.Count;
        var trainItems = await db.VersionItems.CountAsync(v => v.VersionId == versionId && v.Split == Shared.Datasets.Split.Train, ct);
        int? budget = epochs is null ? steps ?? StepBudget.DefaultSteps(trainItems, batchSize) : null;
        var described = budget is { } b ? StepBudget.Describe(b, trainItems, batchSize) : $"{epochs} epochs";
        long StepsOfRun(double share)
        {
            var items = Math.Max(1, (int)Math.Round(trainItems * share));
            return budget ?? (long)epochs!.Value * StepBudget.StepsPerEpoch(items, StepBudget.BatchSize(batchSize, items));
        }
        var totalSteps = seeds * arms * shares.Sum(StepsOfRun);

        var finished = await db.TrainingRuns.AsNoTracking().Where(r => r.Status == RunStatus.Succeeded && r.ResultJson != null)
            .Join(db.Experiments.Where(e => e.Architecture == architecture && e.ImageSize == imageSize), r => r.ExperimentId, e => e.Id, (r, e) => r)
            .OrderByDescending(r => r.CompletedAt).Take(200).Select(r => r.ResultJson!).ToListAsync(ct);
        var perStep = finished.Select(j => JsonSerializer.Deserialize<TrainingResult>(j, Json)!).Where(r => r.StepsDone > 0)
            .Select(r => r.TotalSeconds / r.StepsDone).Order().ToList();
        if (perStep.Count > 0)
        {
            var pace = perStep[perStep.Count / 2];
            return new ExperimentEstimate(runs, totalSteps * pace, $"{described}; {totalSteps} steps in all at a median {pace * 1000:0.#} ms per step of {perStep.Count} earlier {architecture} run(s) at {imageSize} px, one run at a time", budget, described);
        }
        var comparable = await db.RunMetrics.AsNoTracking()
            .Join(db.TrainingRuns, m => m.RunId, r => r.Id, (m, r) => new { m.Json, r.ExperimentId })
            .Join(db.Experiments.Where(e => e.Architecture == architecture && e.ImageSize == imageSize), x => x.ExperimentId, e => e.Id, (x, e) => x.Json)
            .Take(500).ToListAsync(ct);
        var rates = comparable.Select(j => JsonSerializer.Deserialize<EpochMetrics>(j, Json)!.SamplesPerSecond).Where(r => r > 0).Order().ToList();
        if (rates.Count == 0)
        {
            return new ExperimentEstimate(runs, null, $"{described}; no {architecture} run at {imageSize} px has trained here yet", budget, described);
        }
        var rate = rates[rates.Count / 2];
        var seconds = totalSteps * StepBudget.BatchSize(batchSize, Math.Max(1, trainItems)) / rate;
        return new ExperimentEstimate(runs, seconds, $"{described}; training alone at a median {rate:0} samples/s of earlier {architecture} epochs at {imageSize} px (no finished run to measure validation and checkpoints yet)", budget, described);
    }

    /// <summary>Every finished run's per-item test predictions (class indices in the test split's order), for the export.</summary>
    public async Task<IReadOnlyList<RunPredictionsDto>> PredictionsAsync(ClaimsPrincipal caller, Guid experimentId, CancellationToken ct)
    {
        var experiment = await GetAsync(caller, experimentId, ct);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var rows = await db.TrainingRuns.AsNoTracking().Where(r => r.ExperimentId == experiment.Id && r.ResultJson != null)
            .Select(r => new { r.Id, r.Arm, r.Seed, r.LabelFraction, r.ResultJson }).ToListAsync(ct);
        return [.. rows.Select(r => (Run: r, Result: TrainingRun.ReadResult(r.ResultJson)!))
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

    /// <summary>
    /// Continues every finished run that did not converge from its last checkpoint with a larger step budget
    /// (<paramref name="steps"/>, default twice the run's budget and at least the default minimum), so an unreliable verdict
    /// can become a fair one without starting over. Returns how many runs went back to the queue.
    /// </summary>
    public async Task<int> ContinueUnconvergedAsync(ClaimsPrincipal caller, Guid experimentId, int? steps, CancellationToken ct)
    {
        using var activity = AppMetrics.Activities.StartActivity("experiment.continue");
        var experiment = await GetAsync(caller, experimentId, ct);
        await projects.RequireAsync(caller, experiment.ProjectId, a => a.CanEditData, ct);
        if (steps is < MinSteps or > MaxSteps)
        {
            throw ValidationFailedException.For("steps", $"The step budget is {MinSteps}–{MaxSteps} optimizer steps.");
        }
        var unconverged = experiment.Runs.Where(r => r.Status == RunStatus.Succeeded && r.Converged == false).ToList();
        if (unconverged.Count == 0)
        {
            throw new ConflictException("Every finished run of this experiment converged: there is nothing to continue.");
        }
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var continued = 0;
        foreach (var run in unconverged)
        {
            var specJson = await db.TrainingRuns.Where(r => r.Id == run.Id).Select(r => r.SpecJson).SingleAsync(ct);
            var plan = JsonSerializer.Deserialize<RunPlan>(specJson, Json)!;
            var budget = steps ?? Math.Max(2 * (run.BudgetSteps ?? 0), StepBudget.MinimumDefaultSteps);
            if (budget <= (run.StepsDone ?? 0))
            {
                throw ValidationFailedException.For("steps", $"Run {run.Arm} seed {run.Seed} has already taken {run.StepsDone} steps: give a larger budget.");
            }
            var longer = plan with { Spec = plan.Spec with { Steps = budget, PatienceSteps = null, EvaluateEverySteps = null } };
            continued += await queue.ContinueAsync(run.Id, JsonSerializer.Serialize(longer, Json), ct) ? 1 : 0;
        }
        if (continued > 0)
        {
            var stored = await db.Experiments.SingleAsync(e => e.Id == experimentId, ct);
            stored.Steps = experiment.Steps > 0 ? Math.Max(stored.Steps, steps ?? 2 * stored.Steps) : stored.Steps;
            stored.FinishedAnnouncedAt = null; // it will finish again, with new verdicts
            await db.SaveChangesAsync(ct);
        }
        return continued;
    }

    /// <summary>
    /// Announces a run that is over to webhooks, and the experiment with its verdicts when it was the last run. Never
    /// throws: the run's result is already stored, and a worker must not hear "failed" for an announcement.
    /// </summary>
    public async Task AnnounceRunEndedAsync(Guid runId, CancellationToken ct)
    {
        try
        {
            await AnnounceAsync(runId, ct);
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            LogAnnounceFailed(logger, e, runId);
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "The end of run {RunId} could not be announced to webhooks")]
    private static partial void LogAnnounceFailed(ILogger logger, Exception e, Guid runId);

    private async Task AnnounceAsync(Guid runId, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var run = await db.TrainingRuns.AsNoTracking().SingleOrDefaultAsync(r => r.Id == runId, ct);
        if (run is null || run.Status is not (RunStatus.Succeeded or RunStatus.Failed))
        {
            return; // waiting for another attempt: not over
        }
        var experiment = await db.Experiments.AsNoTracking().SingleAsync(e => e.Id == run.ExperimentId, ct);
        var link = $"/experiments/{experiment.Id}";
        var succeeded = run.Status == RunStatus.Succeeded;
        await webhooks.PublishAsync(run.ProjectId, succeeded ? WebhookEvents.RunSucceeded : WebhookEvents.RunFailed,
            $"{experiment.Name}: {run.Arm} · seed {run.Seed} {(succeeded ? "succeeded" : $"failed: {run.Error}")}", link,
            new Dictionary<string, object?>
            {
                ["experimentId"] = experiment.Id, ["experiment"] = experiment.Name, ["runId"] = run.Id, ["arm"] = run.Arm, ["seed"] = run.Seed,
                ["labelFraction"] = run.LabelFraction, ["status"] = run.Status.ToString(), ["attempt"] = run.Attempt, ["error"] = run.Error,
            }, ct);
        if (await db.TrainingRuns.AnyAsync(r => r.ExperimentId == experiment.Id && (r.Status == RunStatus.Pending || r.Status == RunStatus.Running), ct))
        {
            return;
        }
        if (await AddSeedsToDecideAsync(experiment.Id, ct))
        {
            return; // not finished after all: the new seeds' runs are queued
        }
        int won;
        using (await writes.EnterAsync(ct))
        {
            // Two last runs ending at once on two nodes: the one whose update wins announces the experiment.
            won = await db.Experiments.Where(e => e.Id == experiment.Id && e.FinishedAnnouncedAt == null)
                .ExecuteUpdateAsync(x => x.SetProperty(e => e.FinishedAnnouncedAt, clock.GetUtcNow()), ct);
        }
        if (won == 0)
        {
            return;
        }
        var dto = await BuildAsync(db, experiment, ct);
        var verdicts = dto.Results.Where(r => r.Arm != "baseline").Select(r => $"{r.Arm}: {r.VerdictText}").ToList();
        await webhooks.PublishAsync(experiment.ProjectId, WebhookEvents.ExperimentFinished,
            $"{experiment.Name} finished ({dto.Status}). {(verdicts.Count == 0 ? "No transfer arm." : string.Join(" ", verdicts))}", link,
            new Dictionary<string, object?>
            {
                ["experimentId"] = experiment.Id, ["experiment"] = experiment.Name, ["status"] = dto.Status,
                ["runs"] = dto.Runs.Count, ["failedRuns"] = dto.Runs.Count(r => r.Status == RunStatus.Failed),
                ["results"] = dto.Results.Select(r => new { r.Arm, verdict = r.Verdict.ToString(), r.Mean, r.Difference, r.DifferenceLow, r.DifferenceHigh }).ToList(),
            }, ct);
    }

    /// <summary>
    /// When every run is over and a transfer arm is still inconclusive, queues more seeds for every arm (seeds pair runs across
    /// arms) at the full label share: as many as the seeds planner says would decide, at least one more, up to the experiment's
    /// cap. The seed count is a concurrency token, so two nodes ending the last runs at once add them once.
    /// </summary>
    private async Task<bool> AddSeedsToDecideAsync(Guid experimentId, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var experiment = await db.Experiments.SingleAsync(e => e.Id == experimentId, ct);
        if (experiment.MaxSeeds <= experiment.Seeds
            || await db.TrainingRuns.AnyAsync(r => r.ExperimentId == experimentId && r.Status == RunStatus.Cancelled, ct))
        {
            return false; // no cap left, or someone stopped the experiment: adding seeds would undo the cancel
        }
        var dto = await BuildAsync(db, experiment, ct);
        var target = SeedTopUp.Target(dto.Results, experiment.Seeds, experiment.MaxSeeds);
        if (target is not { } seeds)
        {
            return false;
        }
        var fullShare = await db.TrainingRuns.Where(r => r.ExperimentId == experimentId).MaxAsync(r => r.LabelFraction, ct);
        var templates = (await db.TrainingRuns.AsNoTracking().Where(r => r.ExperimentId == experimentId && r.LabelFraction == fullShare && r.Seed == 1).ToListAsync(ct));
        var runs = (from template in templates
                    from seed in Enumerable.Range(experiment.Seeds + 1, seeds - experiment.Seeds)
                    let plan = JsonSerializer.Deserialize<RunPlan>(template.SpecJson, Json)!
                    select new TrainingRun
                    {
                        ExperimentId = experimentId, ProjectId = template.ProjectId, Arm = template.Arm, Seed = seed, LabelFraction = fullShare, Priority = 1,
                        SpecJson = JsonSerializer.Serialize(plan with { Spec = plan.Spec with { Seed = seed } }, Json),
                    }).ToList();
        var before = experiment.Seeds;
        experiment.Seeds = seeds;
        queue.Stage(db, runs);
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateConcurrencyException)
        {
            return true; // another node added them first
        }
        await queue.SignalAsync(db, ct);
        var undecided = string.Join(", ", dto.Results.Where(r => r.Verdict == TransferVerdict.Inconclusive).Select(r => r.Arm));
        LogSeedsAdded(logger, experimentId, before, seeds, undecided);
        await notifications.PostAsync(experiment.CreatedById, $"{experiment.Name}: seeds added",
            $"{undecided} inconclusive with {before} seeds: seeds {before + 1}–{seeds} are training to decide (up to {experiment.MaxSeeds}).", $"/experiments/{experimentId}", ct);
        return true;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Experiment {ExperimentId}: seeds {Before} → {After} to decide {Arms}")]
    private static partial void LogSeedsAdded(ILogger logger, Guid experimentId, int before, int after, string arms);

    /// <summary>Tells the experiment's owner, once per arm, that the arm looks like negative transfer while it still trains.</summary>
    public async Task NotifyWarningsAsync(Guid experimentId, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var experiment = await db.Experiments.SingleAsync(e => e.Id == experimentId, ct);
        var all = await db.TrainingRuns.AsNoTracking().Where(r => r.ExperimentId == experimentId).Select(r => new { r.Id, r.Arm, r.Seed, r.LabelFraction, r.SpecJson }).ToListAsync(ct);
        var controls = all.Where(r => JsonSerializer.Deserialize<RunPlan>(r.SpecJson, Json) is { HasSource: false, Spec.Strategy: TrainingStrategy.FeatureExtraction })
            .Select(r => r.Arm).ToHashSet();
        var fullShare = all.Select(a => a.LabelFraction).DefaultIfEmpty().Max(); // once, not per run: runs on every epoch
        var runs = all.Where(r => r.LabelFraction == fullShare).ToDictionary(r => r.Id);
        if (runs.Values.All(r => r.Arm == "baseline"))
        {
            return; // nothing to compare yet: skip reading the whole history on every epoch
        }
        var ids = runs.Keys.ToList();
        // The arms already warned about, one per line: the warning's numbers move every epoch, so the text is no key.
        var sent = experiment.NotifiedWarnings.Split('\n', StringSplitOptions.RemoveEmptyEntries).ToHashSet();
        if (runs.Values.Where(r => r.Arm != "baseline" && !controls.Contains(r.Arm)).All(r => sent.Contains(r.Arm)))
        {
            return; // every arm that could be warned about has been
        }
        // This runs on every epoch a worker reports: the scores alone are read from each stored epoch, not its per-class
        // table and confusion matrix.
        var history = (await db.RunMetrics.AsNoTracking().Where(m => ids.Contains(m.RunId)).ToListAsync(ct))
            .Select(m =>
            {
                var run = runs[m.RunId];
                var score = JsonSerializer.Deserialize<EpochScore>(m.Json, Json)!;
                return (run.Arm, run.Seed, score.Epoch, score.Validation.MacroF1);
            }).ToList();
        var fresh = ArmVerdicts.EarlyWarningsByArm(history, controls).Where(w => !sent.Contains(w.Arm)).ToList();
        if (fresh.Count == 0)
        {
            return;
        }
        foreach (var (arm, message) in fresh)
        {
            await notifications.PostAsync(experiment.CreatedById, $"{experiment.Name}: possible negative transfer", message, $"/experiments/{experimentId}", ct);
            await webhooks.PublishAsync(experiment.ProjectId, WebhookEvents.NegativeTransferWarning, $"{experiment.Name}: {message}", $"/experiments/{experimentId}",
                new Dictionary<string, object?> { ["experimentId"] = experimentId, ["experiment"] = experiment.Name, ["arm"] = arm }, ct);
            sent.Add(arm);
        }
        var joined = string.Join('\n', sent);
        experiment.NotifiedWarnings = joined.Length <= Experiment.MaxNotifiedWarnings ? joined : joined[^Experiment.MaxNotifiedWarnings..];
        await db.SaveChangesAsync(ct);
    }

    private sealed record EpochScore(int Epoch, ValidationScore Validation);

    private sealed record ValidationScore(double MacroF1);

    /// <summary>Epochs (after the first) at which a run of the arm trained more parameters than the epoch before: the unfreezing stages.</summary>
    private static IReadOnlyList<int> StageEpochs(IEnumerable<(Guid RunId, EpochMetrics Metrics)> arm) =>
        [.. arm.GroupBy(h => h.RunId).SelectMany(run =>
        {
            var epochs = run.OrderBy(h => h.Metrics.Epoch).ToList();
            return epochs.Skip(1).Where((h, i) => h.Metrics.TrainableParameters > epochs[i].Metrics.TrainableParameters).Select(h => h.Metrics.Epoch);
        }).Distinct().Order()];
}
