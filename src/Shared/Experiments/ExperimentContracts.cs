using TransferHub.Shared.Training;

namespace TransferHub.Shared.Experiments;

/// <summary>
/// One arm of an experiment. A transfer arm names its source: a finished run whose model it starts from, or
/// imported pretrained weights (<c>/api/weights</c>). Feature extraction without a source is the frozen-random
/// control (random backbone, frozen, new head).
/// </summary>
public sealed record ArmRequest(string Name, TrainingStrategy Strategy, Guid? SourceRunId, Guid? SourceWeightsId = null, ArmOverrides? Overrides = null);

/// <summary>An arm's own hyperparameters where they differ from the experiment's (e.g. a lower learning rate for fine-tuning).</summary>
public sealed record ArmOverrides(double? LearningRate = null, int? Epochs = null, int? BatchSize = null, bool? Augment = null, bool? BalanceClasses = null);

/// <summary>Body of <c>POST /api/projects/{projectId}/experiments</c>. A baseline arm is always added.
/// <paramref name="Patience"/>: epochs without a better validation macro-F1 before a run stops (default a third of the epochs; 0 = never).
/// <paramref name="Augment"/>: train-time augmentation (random resized crop, flip, colour jitter); <paramref name="BalanceClasses"/>:
/// inverse-frequency class weights. Each arm may override these and the learning rate, epochs and batch size.
/// <paramref name="LabelFractions"/>: shares of the training labels (e.g. 0.1, 0.25, 0.5, 1) — every arm × seed runs at each, for label-efficiency curves.</summary>
public sealed record CreateExperimentRequest(
    string Name, Guid DatasetVersionId, string Architecture, IReadOnlyList<ArmRequest>? Arms,
    int? Seeds, int? Epochs, int? ImageSize, double? LearningRate, int? BatchSize, int? Patience = null,
    IReadOnlyList<double>? LabelFractions = null, bool Augment = false, bool BalanceClasses = false);

/// <summary>A run as listed: its place in the queue and, when done, its test macro-F1.</summary>
public sealed record RunDto(Guid Id, string Arm, TrainingStrategy Strategy, int Seed, RunStatus Status, int Attempt,
    int EpochsDone, double? TestMacroF1, double? TestAccuracy, string? Error, DateTimeOffset? StartedAt, DateTimeOffset? CompletedAt,
    int[][]? TestConfusion = null, double LabelFraction = 1, double? LastEpochSeconds = null, double? TrainSeconds = null, string? Device = null, int Epochs = 0, IReadOnlyList<ClassF1>? PerClass = null);

/// <summary>One class's test F1 in a run.</summary>
public sealed record ClassF1(string Class, double F1, int Support);

/// <summary>Before launching: how many runs a definition makes and, from earlier runs of the same architecture and image size
/// here, about how long they take one after another on one worker (null when nothing comparable has run yet).</summary>
public sealed record ExperimentEstimate(int Runs, double? Seconds, string Basis);

/// <summary>
/// An arm's result over seeds: mean test macro-F1 with its 95 % t-interval, and the paired difference from the
/// baseline (same seeds) with its 95 % t-interval and the verdict it supports; beside it, the 95 % interval of the
/// paired bootstrap over test items pooled across seeds; and its cost: training seconds summed over its runs, on which device.
/// </summary>
public sealed record ArmResultDto(string Arm, TrainingStrategy Strategy, int Seeds, double? Mean, double? Low, double? High,
    double? Difference, double? DifferenceLow, double? DifferenceHigh, string Verdict, double? BootstrapLow = null, double? BootstrapHigh = null,
    double? TotalTrainSeconds = null, string? Device = null);

/// <summary>One epoch of an arm's curve: the mean over the seeds that reached it, and the band from the lowest to the highest seed.</summary>
public sealed record CurvePoint(int Epoch, int Seeds, double ValidationF1, double ValidationF1Min, double ValidationF1Max, double TrainLoss, double TrainLossMin, double TrainLossMax);

/// <summary>An arm's learning curves, epoch by epoch.</summary>
/// <paramref name="StageEpochs"/>: epochs at which more of the network started training (progressive unfreezing), to mark on the curve.
public sealed record ArmCurve(string Arm, IReadOnlyList<CurvePoint> Points, IReadOnlyList<int>? StageEpochs = null);

/// <summary>An experiment with its runs and, as seeds finish, its results (on all the labels), curves, warnings and, with
/// label fractions, its label-efficiency points and what they say.</summary>
public sealed record ExperimentDto(Guid Id, Guid ProjectId, string Name, Guid DatasetVersionId, string Architecture, int Seeds, int Epochs,
    int ImageSize, DateTimeOffset CreatedAt, string Status, IReadOnlyList<RunDto> Runs, IReadOnlyList<ArmResultDto> Results, string Method,
    IReadOnlyList<ArmCurve> Curves, IReadOnlyList<string> Warnings, IReadOnlyList<EfficiencyPoint>? Efficiency = null,
    IReadOnlyList<string>? EfficiencyNotes = null);

/// <summary>An arm's mean test macro-F1 (95 % t-interval over seeds) when trained on a share of the training labels.</summary>
public sealed record EfficiencyPoint(string Arm, double Fraction, int Seeds, double Mean, double? Low, double? High);

/// <summary>One run's test predictions, item by item (class indices, test split order), to recompute any statistic elsewhere.</summary>
public sealed record RunPredictionsDto(Guid RunId, string Arm, int Seed, double LabelFraction, IReadOnlyList<int> Labels, IReadOnlyList<int> Predicted);

/// <summary>One epoch of one run, as stored and as streamed.</summary>
public sealed record RunMetricDto(Guid RunId, int Epoch, EpochMetrics Metrics);

/// <summary>Body of <c>POST /api/versions/{versionId}/transferability</c>: finished runs whose models are candidate sources.</summary>
public sealed record TransferabilityRequest(IReadOnlyList<Guid>? Sources, int? ImageSize, IReadOnlyList<Guid>? Weights = null);

/// <summary>A candidate source's scores on a version's training split, before any training. Higher is better for both;
/// null where the statistic is not defined for this source (degenerate features).</summary>
public sealed record SourceScoreDto(Guid SourceId, string Source, double? LogMe, double? Leep, string Kind = "run");
