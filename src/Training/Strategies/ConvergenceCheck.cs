using TransferHub.Shared.Training;

namespace TransferHub.Training.Strategies;

// Decides, from a run's validation history, whether it converged: a verdict against a baseline that was still learning
// when its budget ran out says more about the schedule than about the source.
public static class ConvergenceCheck
{
    // A rise of validation macro-F1 in the last quarter of the run larger than this (and than two validation items' worth,
    // so that one item flipping on a small split is not taken for learning) means it was still learning.
    public const double StillRising = 0.01;

    // Training loss falling by more than this share over the last quarter, while still above FittedLoss, means it was still
    // fitting; below that loss the network fits its training data and a falling loss is memorisation, not under-training.
    public const double StillFalling = 0.3;
    public const double FittedLoss = 0.3;

    public static Convergence Judge(IReadOnlyList<EpochMetrics> history, long stepsDone, bool stoppedEarly)
    {
        if (history.Count == 0) return new(false, "no validation point");
        var best = history.MaxBy(h => h.Validation.MacroF1)!;
        // Too few steps first: an early stop after a handful of steps is a starved run (a baseline at chance), not a plateau.
        if (stepsDone < StepBudget.MinimumJudgedSteps)
            return new(false, $"only {stepsDone} optimizer steps{(stoppedEarly ? ", stopped early" : "")} (at least {StepBudget.MinimumJudgedSteps} before a run can count as converged)",
                stoppedEarly);
        if (stoppedEarly)
            return new(true, $"validation macro-F1 stopped improving: best {best.Validation.MacroF1:0.000} at step {best.Steps}, stopped at step {stepsDone}", true);
        if (history.Count < 4) return new(false, $"only {history.Count} validation points: too few to see a plateau");

        var lastQuarterFrom = stepsDone * 0.75;
        var before = history.Where(h => h.Steps <= lastQuarterFrom).ToList();
        var after = history.Where(h => h.Steps > lastQuarterFrom).ToList();
        if (before.Count == 0 || after.Count == 0) return new(false, "validation points too sparse to see a plateau");
        var rise = after.Max(h => h.Validation.MacroF1) - before.Max(h => h.Validation.MacroF1);
        var validationItems = history[^1].Validation.Confusion.Sum(row => row.Sum());
        if (rise > Math.Max(StillRising, validationItems > 0 ? 2.0 / validationItems : 0))
            return new(false, $"validation macro-F1 still rising in the last quarter of the budget (+{rise:0.000})");
        var lossThen = before[^1].TrainLoss;
        var lossNow = history[^1].TrainLoss;
        if (lossNow > FittedLoss && lossNow < lossThen * (1 - StillFalling))
            return new(false, $"training loss still falling ({(lossNow - lossThen) / lossThen:+0%;-0%} in the last quarter of the budget)");
        return new(true, $"validation macro-F1 flat over the last quarter of the budget (best {best.Validation.MacroF1:0.000} at step {best.Steps})");
    }
}
