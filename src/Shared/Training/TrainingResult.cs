namespace TransferHub.Shared.Training;

/// <summary>The outcome of one run: per-epoch history, the best epoch and the test split evaluated with it, item by item
/// (<paramref name="TestPredictions"/> and <paramref name="TestLabels"/> are class indices in the test split's order;
/// <paramref name="Classes"/> names them, when the run knows its class names). <paramref name="BudgetSteps"/> is the optimizer-step
/// budget the run was given, <paramref name="StepsDone"/> the steps it took, <paramref name="Convergence"/> whether it converged and why.</summary>
public sealed record TrainingResult(
    TrainingJobSpec Spec,
    IReadOnlyList<EpochMetrics> Epochs,
    int BestEpoch,
    ClassificationMetrics Test,
    double TotalSeconds,
    string Device,
    IReadOnlyList<int>? TestPredictions = null,
    IReadOnlyList<int>? TestLabels = null,
    IReadOnlyList<string>? Classes = null,
    int BudgetSteps = 0,
    long StepsDone = 0,
    Convergence? Convergence = null);

/// <summary>Whether a run converged — its validation macro-F1 no longer improving and its training loss flat by the end — and
/// the reason, in words. A verdict against an unconverged baseline is unreliable.</summary>
public sealed record Convergence(bool Converged, string Reason, bool StoppedEarly = false);
