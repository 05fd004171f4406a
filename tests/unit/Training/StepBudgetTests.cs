using TransferHub.Shared.Training;
using TransferHub.Training.Data;
using TransferHub.Training.Strategies;

namespace TransferHub.Tests.Unit.Training;

[Collection(TorchCollection.Name)]
public sealed class StepBudgetTests
{
    [Fact]
    public void ABudgetInStepsBecomesEpochsOnTheTrainingSplit()
    {
        var plan = StepBudget.Plan(new TrainingJobSpec("small-cnn", TrainingStrategy.Baseline, BatchSize: 32, Steps: 400), trainCount: 180);

        (plan.BatchSize, plan.StepsPerEpoch, plan.Epochs, plan.Steps).ShouldBe((32, 6, 67, 402));
        plan.EvaluateEveryEpochs.ShouldBe(2); // about 25 validation passes, not 67
        plan.PatienceEpochs.ShouldBe(17);     // a quarter of the budget, in epochs
        plan.MinimumEpochs.ShouldBe(27);      // no early stop before 40 % of it
        StepBudget.Describe(400, 180, 32).ShouldBe("≈ 402 steps = 67 epochs of 6 batches of 32");
    }

    [Fact]
    public void TheBatchNeverExceedsTheTrainingSplitAndTheDefaultGrowsWithTheData()
    {
        StepBudget.Plan(new TrainingJobSpec("small-cnn", TrainingStrategy.Baseline, BatchSize: 32, Steps: 400), trainCount: 30).BatchSize.ShouldBe(30);
        StepBudget.DefaultSteps(30, 32).ShouldBe(StepBudget.MinimumDefaultSteps);
        StepBudget.DefaultSteps(10_000, 32).ShouldBe(15 * 313);
        // Without a step budget the epochs and per-epoch validation of the spec stand (the advanced override).
        StepBudget.Plan(new TrainingJobSpec("small-cnn", TrainingStrategy.Baseline, Epochs: 7, Patience: 3), 100)
            .ShouldBe(new BudgetPlan(32, 4, 7, 1, 3, 0));
    }

    [Fact]
    public void ASmallDataBaselineOnTheDefaultBudgetConvergesAndValidatesSparingly()
    {
        // Four labels per class, batch 32: one optimizer step per epoch, so the old default of 10 epochs was 10 steps.
        using var data = TrainingHarness.Task(SyntheticLabel.Shape, 32, 64, 160, seed: 41, palette: SyntheticShapes.PaletteB);
        var spec = new TrainingJobSpec(TrainingHarness.Architecture, TrainingStrategy.Baseline, Seed: 1, LearningRate: 3e-3,
            Steps: StepBudget.DefaultSteps(32, 32));

        var result = TrainingHarness.Run(spec, data);
        var starved = TrainingHarness.Run(spec with { Steps = null, Epochs = 10, Patience = 0 }, data);

        result.BudgetSteps.ShouldBe(400);
        result.Spec.BatchSize.ShouldBe(32);
        result.StepsDone.ShouldBeInRange(160, 400); // early stopping never before 40 % of the budget
        result.Epochs.Count.ShouldBeLessThanOrEqualTo(26);
        result.Epochs.Select(e => e.Steps).ShouldBeInOrder(SortDirection.Ascending);
        result.Convergence!.Converged.ShouldBeTrue(result.Convergence.Reason);
        starved.Convergence!.Converged.ShouldBeFalse();
        starved.Convergence.Reason.ShouldBe("only 10 optimizer steps (at least 100 before a run can count as converged)");
        result.Test.MacroF1.ShouldBeGreaterThan(starved.Test.MacroF1 + 0.1);
    }

    private static EpochMetrics Point(long steps, double f1, double loss) =>
        new((int)steps, loss, new ClassificationMetrics(1, f1, f1, 0, [], []), 100, 1, 1e-3, 10, false, steps);

    [Fact]
    public void ARunStillImprovingAtTheEndHasNotConverged()
    {
        var rising = Enumerable.Range(1, 10).Select(i => Point(i * 40, 0.3 + 0.05 * i, 2.0 / i)).ToList();
        var falling = Enumerable.Range(1, 10).Select(i => Point(i * 40, 0.8, 3.0 * Math.Pow(0.85, i))).ToList();
        var memorising = Enumerable.Range(1, 10).Select(i => Point(i * 40, 0.8, 0.5 * Math.Pow(0.7, i))).ToList();
        var flat = Enumerable.Range(1, 10).Select(i => Point(i * 40, i < 5 ? 0.5 + 0.1 * i : 0.9, i < 5 ? 1.0 / i : 0.2)).ToList();

        ConvergenceCheck.Judge(rising, 400, stoppedEarly: false).Reason.ShouldStartWith("validation macro-F1 still rising");
        ConvergenceCheck.Judge(falling, 400, stoppedEarly: false).Reason.ShouldStartWith("training loss still falling");
        ConvergenceCheck.Judge(flat, 400, stoppedEarly: false).Converged.ShouldBeTrue();
        ConvergenceCheck.Judge(memorising, 400, stoppedEarly: false).Converged.ShouldBeTrue(); // below 0.3 a falling loss is memorisation
        ConvergenceCheck.Judge(rising, 400, stoppedEarly: true).Converged.ShouldBeTrue();
        // An early stop after a handful of steps (the old default stopped a baseline at chance after 4 steps) is a starved run.
        ConvergenceCheck.Judge(rising.Take(4).ToList(), 4, stoppedEarly: true).Reason.ShouldBe("only 4 optimizer steps, stopped early (at least 100 before a run can count as converged)");
    }
}
