namespace TransferHub.Shared.Training;

/// <summary>The outcome of one run: per-epoch history, the best epoch and the test split evaluated with it, item by item
/// (<paramref name="TestPredictions"/> and <paramref name="TestLabels"/> are class indices in the test split's order;
/// <paramref name="Classes"/> names them, when the run knows its class names). <paramref name="BudgetSteps"/> is the optimizer-step
/// budget the run was given, <paramref name="StepsDone"/> the steps it took, <paramref name="Convergence"/> whether it converged and why;
/// <paramref name="RateSearch"/> the learning-rate range test that chose <see cref="TrainingJobSpec.LearningRate"/>, when one ran.</summary>
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
    Convergence? Convergence = null,
    LearningRateSearch? RateSearch = null);

/// <summary>Whether a run converged — its validation macro-F1 no longer improving and its training loss flat by the end — and
/// the reason, in words. A verdict against an unconverged baseline is unreliable.</summary>
public sealed record Convergence(bool Converged, string Reason, bool StoppedEarly = false);

/// <summary>
/// A learning-rate range test (Smith, "Cyclical Learning Rates for Training Neural Networks", 2017): a short run from a fresh
/// model whose rate grows exponentially step by step while the training loss is recorded. The chosen rate is a tenth of the
/// rate at the lowest smoothed loss — where the loss still falls fast, before it turns. Run once per arm and dataset version
/// (same model seed, same batches), so every seed of an arm trains at the same rate.
/// </summary>
/// <param name="Chosen">The learning rate the run trained with (a new head's keeps its ratio to it).</param>
/// <param name="LowestLossRate">The rate at the lowest smoothed loss.</param>
/// <param name="Decided">False when the loss never fell clearly: the requested rate was kept.</param>
/// <param name="Reason">How the rate was chosen, in words.</param>
/// <param name="Rates">The rates tried, one per step.</param>
/// <param name="Losses">The smoothed training loss at each rate.</param>
public sealed record LearningRateSearch(double Chosen, double LowestLossRate, bool Decided, string Reason,
    IReadOnlyList<double> Rates, IReadOnlyList<double> Losses);
