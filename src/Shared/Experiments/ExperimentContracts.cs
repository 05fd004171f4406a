using TransferHub.Shared.Statistics;
using TransferHub.Shared.Training;

namespace TransferHub.Shared.Experiments;

/// <summary>
/// One arm of an experiment. A transfer arm names its source: a finished run whose model it starts from, or
/// imported pretrained weights (<c>/api/weights</c>). Feature extraction without a source is the frozen-random
/// control (random backbone, frozen, new head).
/// </summary>
public sealed record ArmRequest(string Name, TrainingStrategy Strategy, Guid? SourceRunId, Guid? SourceWeightsId = null, ArmOverrides? Overrides = null);

/// <summary>An arm's own hyperparameters where they differ from the experiment's (e.g. a lower learning rate for fine-tuning).
/// An arm given a larger step budget than the baseline gets an "unreliable" verdict.</summary>
public sealed record ArmOverrides(double? LearningRate = null, int? Epochs = null, int? BatchSize = null, bool? Augment = null, bool? BalanceClasses = null,
    int? Steps = null, double? HeadLearningRate = null);

/// <summary>Body of <c>POST /api/projects/{projectId}/experiments</c>. A baseline arm is always added.
/// <paramref name="Steps"/>: the budget of every run in optimizer steps (default: enough for the training split to converge, at
/// least 400; see <see cref="StepBudget"/>), turned into epochs from the training split and batch size; validation runs about 25
/// times per run and early stopping waits <paramref name="PatienceSteps"/> steps (default a quarter of the budget).
/// <paramref name="Epochs"/>: an advanced override that trains a fixed number of epochs instead (validation every epoch;
/// <paramref name="Patience"/> then counts epochs, default a third of them). <paramref name="LearningRate"/> (default 1e-3) and
/// <paramref name="BatchSize"/> (default 32, never more than the training split) apply to every arm; <paramref name="HeadLearningRate"/>
/// is a new head's rate in transfer arms (default: the learning rate, so a fine-tuned arm optimizes exactly like the baseline; a
/// feature-extraction arm, which trains only its head, defaults to 10× the learning rate). <paramref name="MinimumGain"/>: the
/// smallest gain in test macro-F1 that matters (default 0.01) — within it an arm is "equivalent".
/// <paramref name="Augment"/>: train-time augmentation; <paramref name="BalanceClasses"/>: inverse-frequency class weights.
/// <paramref name="LabelFractions"/>: shares of the training labels (e.g. 0.1, 0.25, 0.5, 1) — every arm × seed runs at each.
/// <paramref name="MaxSeeds"/>: add seeds automatically while a transfer arm's verdict is inconclusive — as many as the seeds planner
/// says would decide, up to this many in all (null: never add seeds).
/// <paramref name="FindLearningRate"/>: choose each arm's learning rate by a short sweep on the validation split before it trains (once
/// per arm, label share and dataset version; see <see cref="LearningRateSearch"/>) — an arm with its own learning rate keeps it.</summary>
public sealed record CreateExperimentRequest(
    string Name, Guid DatasetVersionId, string Architecture, IReadOnlyList<ArmRequest>? Arms = null,
    int? Seeds = null, int? Epochs = null, int? ImageSize = null, double? LearningRate = null, int? BatchSize = null, int? Patience = null,
    IReadOnlyList<double>? LabelFractions = null, bool Augment = false, bool BalanceClasses = false,
    int? Steps = null, int? PatienceSteps = null, double? HeadLearningRate = null, double? MinimumGain = null, bool FindLearningRate = false,
    int? MaxSeeds = null);

/// <summary>Body of <c>POST /api/experiments/{id}/continue</c>: the new step budget of each unconverged run (default twice its own).</summary>
public sealed record ContinueRunsRequest(int? Steps = null);

/// <summary>A run as listed: its place in the queue and, when done, its test macro-F1; its step budget and the steps taken so far,
/// and once finished whether it converged and why (<paramref name="Converged"/>, <paramref name="ConvergenceNote"/>); the learning rates
/// it trains with — once a sweep chose them (<paramref name="FindsLearningRate"/>), how (<paramref name="LearningRateNote"/>);
/// the class names of its confusion matrix (<paramref name="Classes"/>), and whether its cells lead to their test items
/// (<paramref name="KnowsTestItems"/>: runs trained before this release did not record them).</summary>
public sealed record RunDto(Guid Id, string Arm, TrainingStrategy Strategy, int Seed, RunStatus Status, int Attempt,
    int EpochsDone, double? TestMacroF1, double? TestAccuracy, string? Error, DateTimeOffset? StartedAt, DateTimeOffset? CompletedAt,
    int[][]? TestConfusion = null, double LabelFraction = 1, double? LastEpochSeconds = null, double? TrainSeconds = null, string? Device = null, int Epochs = 0, IReadOnlyList<ClassF1>? PerClass = null,
    bool HasSource = false, int? BudgetSteps = null, long? StepsDone = null, double? StepSeconds = null, bool? Converged = null, string? ConvergenceNote = null,
    double? LearningRate = null, double? HeadLearningRate = null, bool FindsLearningRate = false, string? LearningRateNote = null,
    IReadOnlyList<string>? Classes = null, bool KnowsTestItems = false);

/// <summary>The test items behind one cell of a run's confusion matrix — true class, predicted class — with their current
/// labels: where relabeling starts when a model and the labels disagree. <paramref name="Count"/> is the cell's number;
/// <paramref name="Items"/> the first <c>ConfusionItemsService.MaxItems</c> of them still in the dataset.</summary>
public sealed record ConfusionCellDto(Guid RunId, Guid DatasetId, string Arm, int Seed, string TrueClass, string PredictedClass, int Count,
    IReadOnlyList<Datasets.ItemDto> Items);

/// <summary>One class's test F1 in a run.</summary>
public sealed record ClassF1(string Class, double F1, int Support);

/// <summary>Before launching: how many runs a definition makes, each run's step budget (null with fixed epochs) and how it reads,
/// and, from earlier runs of the same architecture and image size here, about how long they take one after another on one
/// worker (null when nothing comparable has run yet).</summary>
public sealed record ExperimentEstimate(int Runs, double? Seconds, string Basis, int? Steps = null, string? Budget = null);

/// <summary>
/// An arm's result over seeds: mean test macro-F1 with its 95 % t-interval (clipped to [0, 1]), and the paired difference from
/// the baseline (same seeds) with its 95 % t-interval and the verdict (<paramref name="VerdictText"/> in words,
/// <paramref name="Reason"/> says why: what made it unreliable, what the control tells, how many seeds would decide); beside
/// it, the 95 % interval of the hierarchical bootstrap over seeds and test items; the TOST p-value of equivalence within the
/// smallest gain that matters; per-class differences with Holm-adjusted p-values; and its cost: training seconds summed over
/// its runs, on which device.
/// </summary>
public sealed record ArmResultDto(string Arm, TrainingStrategy Strategy, int Seeds, double? Mean, double? Low, double? High,
    double? Difference, double? DifferenceLow, double? DifferenceHigh, TransferVerdict Verdict, string VerdictText, string? Reason = null,
    double? BootstrapLow = null, double? BootstrapHigh = null, double? TotalTrainSeconds = null, string? Device = null,
    double? EquivalenceP = null, int? SeedsToDecide = null, IReadOnlyList<ClassVerdict>? Classes = null);

/// <summary>One class's test F1 difference from the baseline (mean over seeds), its paired t-test p-value Holm-adjusted over
/// the classes, and whether the arm significantly hurts it (<paramref name="Hurt"/>: adjusted p &lt; 0.05 and a loss).</summary>
public sealed record ClassVerdict(string Class, double Difference, double? AdjustedP, bool Hurt);

/// <summary>One epoch of an arm's curve: the mean over the seeds that reached it, and the band from the lowest to the highest seed.</summary>
public sealed record CurvePoint(int Epoch, int Seeds, double ValidationF1, double ValidationF1Min, double ValidationF1Max, double TrainLoss, double TrainLossMin, double TrainLossMax);

/// <summary>An arm's learning curves, epoch by epoch.</summary>
/// <paramref name="StageEpochs"/>: epochs at which more of the network started training (progressive unfreezing), to mark on the curve.
public sealed record ArmCurve(string Arm, IReadOnlyList<CurvePoint> Points, IReadOnlyList<int>? StageEpochs = null);

/// <summary>An experiment with its runs and, as seeds finish, its results (on all the labels), curves, warnings and, with
/// label fractions, its label-efficiency points and what they say. <paramref name="Steps"/> is the step budget of each run (0 when
/// the experiment trains a fixed number of epochs), <paramref name="Budget"/> how it reads ("≈ 400 steps = 67 epochs of 6 batches of 32").</summary>
public sealed record ExperimentDto(Guid Id, Guid ProjectId, string Name, Guid DatasetVersionId, string Architecture, int Seeds, int Epochs,
    int ImageSize, DateTimeOffset CreatedAt, string Status, IReadOnlyList<RunDto> Runs, IReadOnlyList<ArmResultDto> Results, string Method,
    IReadOnlyList<ArmCurve> Curves, IReadOnlyList<string> Warnings, IReadOnlyList<EfficiencyPoint>? Efficiency = null,
    IReadOnlyList<string>? EfficiencyNotes = null, int Steps = 0, double MinimumGain = 0.01, string? Budget = null,
    IReadOnlyList<LabelingSavings>? Savings = null, int MaxSeeds = 0);

/// <summary>Labeling a transfer arm saves: <paramref name="Labels"/> training labels (range <paramref name="LabelsLow"/>–<paramref name="LabelsHigh"/>
/// from its interval) and, from <paramref name="TimedLabels"/> annotations timed on this dataset, the hours they take (null when
/// none were timed: labels imported, not labeled in the app).</summary>
public sealed record LabelingSavings(string Arm, int Labels, int LabelsLow, int LabelsHigh, double? Hours, double? HoursLow, double? HoursHigh,
    double? MedianSecondsPerLabel, int TimedLabels);

/// <summary>An arm's mean test macro-F1 (95 % t-interval over seeds) when trained on a share of the training labels.</summary>
public sealed record EfficiencyPoint(string Arm, double Fraction, int Seeds, double Mean, double? Low, double? High);

/// <summary>One run's test predictions, item by item (class indices, test split order), to recompute any statistic elsewhere.</summary>
public sealed record RunPredictionsDto(Guid RunId, string Arm, int Seed, double LabelFraction, IReadOnlyList<int> Labels, IReadOnlyList<int> Predicted);

/// <summary>One epoch of one run, as stored and as streamed.</summary>
public sealed record RunMetricDto(Guid RunId, int Epoch, EpochMetrics Metrics);

/// <summary>Body of <c>POST /api/versions/{versionId}/transferability</c>: finished runs whose models are candidate sources.</summary>
public sealed record TransferabilityRequest(IReadOnlyList<Guid>? Sources, int? ImageSize, IReadOnlyList<Guid>? Weights = null);

/// <summary>How often ranking sources before training picked the source whose arm did best afterwards, in a project:
/// experiments judged (two or more scored sources), first-choice hits for LogME and LEEP, and their mean Kendall τ with the
/// arms' test macro-F1; <paramref name="Summary"/> says it in words.</summary>
public sealed record TransferabilityRecordDto(int Experiments, int LogMeTopHits, int LeepTopHits, double? LogMeTau, double? LeepTau, string Summary);

/// <summary>A candidate source's scores on a version's training split, before any training. Higher is better for both;
/// null where the statistic is not defined for this source (degenerate features).</summary>
public sealed record SourceScoreDto(Guid SourceId, string Source, double? LogMe, double? Leep, string Kind = "run");

/// <summary>A succeeded run that can be registered as a model, with the names the registry's form shows.</summary>
public sealed record SucceededRunDto(Guid Id, Guid ProjectId, string Project, string Experiment, string Arm, int Seed, double? TestMacroF1);
