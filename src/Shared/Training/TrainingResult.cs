namespace TransferHub.Shared.Training;

/// <summary>The outcome of one run: per-epoch history, the best epoch and the test split evaluated with it, item by item
/// (<paramref name="TestPredictions"/> and <paramref name="TestLabels"/> are class indices in the test split's order;
/// <paramref name="Classes"/> names them, when the run knows its class names; <paramref name="TestItems"/> names the test
/// items in the same order — the file names (without extension) or JSONL ids the data was laid out with —, so a cell of the
/// confusion matrix leads back to its items). <paramref name="BudgetSteps"/> is the optimizer-step
/// budget the run was given, <paramref name="StepsDone"/> the steps it took, <paramref name="Convergence"/> whether it converged and why;
/// <paramref name="RateSearch"/> the learning-rate sweep that chose <see cref="TrainingJobSpec.LearningRate"/>, when one ran.</summary>
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
    LearningRateSearch? RateSearch = null,
    IReadOnlyList<string>? TestItems = null);

/// <summary>Whether a run converged — its validation macro-F1 no longer improving and its training loss flat by the end — and
/// the reason, in words. A verdict against an unconverged baseline is unreliable.</summary>
public sealed record Convergence(bool Converged, string Reason, bool StoppedEarly = false);

/// <summary>
/// How an arm's learning rate was chosen before it trained: a short run at each rate of a sweep, from the same fresh model (seed 0,
/// the same source), each for a share of the arm's step budget, judged on the validation split. Run once per arm, label share and
/// dataset version, so every seed of an arm trains at the same rate.
/// </summary>
/// <param name="Chosen">The learning rate the run trained with (a new head's keeps its ratio to it).</param>
/// <param name="Decided">False when no rate of the sweep trained: the requested rate was kept.</param>
/// <param name="Reason">How the rate was chosen, in words.</param>
/// <param name="Rates">The rates tried.</param>
/// <param name="ValidationMacroF1">The best validation macro-F1 of each (NaN: it diverged).</param>
/// <param name="StepsEach">Optimizer steps of each short run.</param>
public sealed record LearningRateSearch(double Chosen, bool Decided, string Reason, IReadOnlyList<double> Rates, IReadOnlyList<double> ValidationMacroF1, int StepsEach);
