namespace TransferHub.Shared.Training;

/// <summary>How a run's optimizer-step budget becomes epochs, evaluation points and patience on a training split of a given
/// size. Every arm of an experiment goes through the same rule, so a transfer arm never gets more optimization than its
/// baseline, and a small-data baseline gets enough steps to converge (ten epochs of 30 images are ten steps).</summary>
public static class StepBudget
{
    /// <summary>The least budget a run gets by default: enough for a small network to fit a few hundred images.</summary>
    public const int MinimumDefaultSteps = 400;

    /// <summary>Epochs' worth of steps a run gets by default on bigger data.</summary>
    public const int DefaultEpochsOfSteps = 15;

    /// <summary>Validation passes aimed at per run: enough points for a curve and early stopping, few enough to stay cheap.</summary>
    public const int EvaluationsPerRun = 25;

    /// <summary>Below this many optimizer steps a run is never judged converged.</summary>
    public const int MinimumJudgedSteps = 100;

    /// <summary>The default budget for a training split: at least <see cref="MinimumDefaultSteps"/>, or
    /// <see cref="DefaultEpochsOfSteps"/> epochs when that is more.</summary>
    public static int DefaultSteps(int trainCount, int batchSize) =>
        Math.Max(MinimumDefaultSteps, DefaultEpochsOfSteps * StepsPerEpoch(trainCount, BatchSize(batchSize, trainCount)));

    /// <summary>The batch size a run uses: never more than the training split.</summary>
    public static int BatchSize(int requested, int trainCount) => Math.Max(1, Math.Min(requested, Math.Max(1, trainCount)));

    /// <summary>Optimizer steps in one epoch (a last batch of a single item is dropped: BatchNorm cannot train on it).</summary>
    public static int StepsPerEpoch(int trainCount, int batchSize) =>
        Math.Max(1, trainCount / batchSize + (trainCount % batchSize > 1 ? 1 : 0));

    /// <summary>The plan for a spec on a training split: with <see cref="TrainingJobSpec.Steps"/> set, epochs follow from the
    /// budget, validation runs every few epochs (about <see cref="EvaluationsPerRun"/> times), patience is counted in steps
    /// and no early stop comes before 40 % of the budget; without it, the spec's epochs and per-epoch validation stand.</summary>
    public static BudgetPlan Plan(TrainingJobSpec spec, int trainCount)
    {
        var batch = BatchSize(spec.BatchSize, trainCount);
        var perEpoch = StepsPerEpoch(trainCount, batch);
        if (spec.Steps is not { } steps)
        {
            return new BudgetPlan(batch, perEpoch, spec.Epochs, 1, spec.Patience, 0);
        }
        var epochs = Math.Max(1, (int)Math.Ceiling(steps / (double)perEpoch));
        var every = spec.EvaluateEverySteps is { } e ? Math.Max(1, (int)Math.Round(e / (double)perEpoch)) : Math.Max(1, epochs / EvaluationsPerRun);
        var patienceSteps = spec.PatienceSteps ?? steps / 4;
        var patience = patienceSteps <= 0 ? 0 : Math.Max(every, (int)Math.Ceiling(patienceSteps / (double)perEpoch));
        return new BudgetPlan(batch, perEpoch, epochs, every, patience, (int)Math.Ceiling(epochs * 0.4));
    }

    /// <summary>How a budget reads to a person: "≈ 400 steps = 67 epochs of 6 batches".</summary>
    public static string Describe(int steps, int trainCount, int batchSize)
    {
        var batch = BatchSize(batchSize, trainCount);
        var perEpoch = StepsPerEpoch(trainCount, batch);
        var epochs = Math.Max(1, (int)Math.Ceiling(steps / (double)perEpoch));
        return $"≈ {epochs * perEpoch} steps = {epochs} epoch{(epochs == 1 ? "" : "s")} of {perEpoch} batch{(perEpoch == 1 ? "" : "es")} of {batch}";
    }
}

/// <summary>A run's budget on its training split.</summary>
/// <param name="BatchSize">The batch size used (at most the training split).</param>
/// <param name="StepsPerEpoch">Optimizer steps per epoch.</param>
/// <param name="Epochs">Epochs to train (an upper bound; early stopping may end sooner).</param>
/// <param name="EvaluateEveryEpochs">Validation, best-checkpoint choice and the resume checkpoint happen every this many epochs.</param>
/// <param name="PatienceEpochs">Epochs without a better validation macro-F1 before stopping; 0 never stops early.</param>
/// <param name="MinimumEpochs">No early stop before this epoch.</param>
public sealed record BudgetPlan(int BatchSize, int StepsPerEpoch, int Epochs, int EvaluateEveryEpochs, int PatienceEpochs, int MinimumEpochs)
{
    /// <summary>The budget in optimizer steps.</summary>
    public int Steps => Epochs * StepsPerEpoch;
}
