namespace TransferHub.Shared.Training;

/// <summary>The outcome of one run: per-epoch history, the best epoch and the test split evaluated with it, item by item
/// (<paramref name="TestPredictions"/> and <paramref name="TestLabels"/> are class indices in the test split's order;
/// <paramref name="Classes"/> names them, when the run knows its class names).</summary>
public sealed record TrainingResult(
    TrainingJobSpec Spec,
    IReadOnlyList<EpochMetrics> Epochs,
    int BestEpoch,
    ClassificationMetrics Test,
    double TotalSeconds,
    string Device,
    IReadOnlyList<int>? TestPredictions = null,
    IReadOnlyList<int>? TestLabels = null,
    IReadOnlyList<string>? Classes = null);
