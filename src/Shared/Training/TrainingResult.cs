namespace TransferHub.Shared.Training;

/// <summary>The outcome of one run: per-epoch history, the best epoch and the test split evaluated with it.</summary>
public sealed record TrainingResult(
    TrainingJobSpec Spec,
    IReadOnlyList<EpochMetrics> Epochs,
    int BestEpoch,
    ClassificationMetrics Test,
    double TotalSeconds,
    string Device);
