using TransferHub.Shared.Experiments;
using TransferHub.Shared.Statistics;
using TransferHub.Shared.Training;
using TransferHub.Web.Features.Experiments;

namespace TransferHub.Tests.Unit.Web.Experiments;

public sealed class ArmVerdictTests
{
    private static RunDto Run(string arm, int seed, double f1, TrainingStrategy strategy = TrainingStrategy.FineTune, bool converged = true,
        int budget = 400, bool hasSource = true, IReadOnlyList<ClassF1>? perClass = null) =>
        new(Guid.NewGuid(), arm, arm == "baseline" ? TrainingStrategy.Baseline : strategy, seed, RunStatus.Succeeded, 1, 10, f1, f1, null, null, null,
            PerClass: perClass, HasSource: arm != "baseline" && hasSource, BudgetSteps: budget, StepsDone: budget, Converged: converged,
            ConvergenceNote: converged ? "flat" : "only 10 optimizer steps");

    private static List<RunDto> Baseline(params double[] f1) => [.. f1.Select((f, i) => Run("baseline", i + 1, f))];

    private static ArmResultDto Arm(IEnumerable<RunDto> runs, string arm = "source") =>
        ArmVerdicts.Summarise([.. runs]).Single(r => r.Arm == arm);

    [Fact]
    public void AClearGainIsPositiveAndAClearLossNegative()
    {
        var baseline = Baseline(0.70, 0.72, 0.71);

        Arm(baseline.Concat([Run("source", 1, 0.80), Run("source", 2, 0.83), Run("source", 3, 0.81)])).Verdict.ShouldBe(TransferVerdict.Positive);
        Arm(baseline.Concat([Run("source", 1, 0.60), Run("source", 2, 0.61), Run("source", 3, 0.62)])).Verdict.ShouldBe(TransferVerdict.Negative);
    }

    [Fact]
    public void AnUnconvergedBaselineMakesEvenAClearGainUnreliable()
    {
        var runs = new List<RunDto> { Run("baseline", 1, 0.30, converged: false), Run("baseline", 2, 0.35), Run("baseline", 3, 0.32) };
        runs.AddRange([Run("source", 1, 0.80), Run("source", 2, 0.83), Run("source", 3, 0.81)]);

        var arm = Arm(runs);

        arm.Verdict.ShouldBe(TransferVerdict.Unreliable);
        arm.VerdictText.ShouldBe("unreliable");
        arm.Reason.ShouldBe("baseline under-trained — seed 1: not converged: only 10 optimizer steps");
    }

    [Fact]
    public void ALossAgainstAnUnconvergedBaselineStaysNegative()
    {
        // An under-trained baseline can only flatter the arm: losing to it is still negative transfer.
        var runs = new List<RunDto> { Run("baseline", 1, 0.70, converged: false), Run("baseline", 2, 0.72), Run("baseline", 3, 0.71) };
        runs.AddRange([Run("source", 1, 0.50), Run("source", 2, 0.52), Run("source", 3, 0.51)]);

        var arm = Arm(runs);

        arm.Verdict.ShouldBe(TransferVerdict.Negative);
        arm.Reason.ShouldBe("negative even against an unfair comparison (baseline under-trained — seed 1: not converged: only 10 optimizer steps)");
    }

    [Fact]
    public void ABaselineSeedFarBelowItsSiblingsIsAFailedRun()
    {
        var runs = Baseline(0.80, 0.05, 0.82).Concat([Run("source", 1, 0.85), Run("source", 2, 0.86), Run("source", 3, 0.87)]);

        var arm = Arm(runs);

        arm.Verdict.ShouldBe(TransferVerdict.Unreliable);
        arm.Reason!.ShouldBe("baseline under-trained — seed 2: failed: test macro-F1 0.050 against its siblings' median 0.800");
    }

    [Fact]
    public void AnArmWithMoreStepsThanItsBaselineGetsNoVerdict()
    {
        var runs = Baseline(0.70, 0.72, 0.71).Concat([Run("source", 1, 0.80, budget: 800), Run("source", 2, 0.83, budget: 800), Run("source", 3, 0.81, budget: 800)]);

        var arm = Arm(runs);

        arm.Verdict.ShouldBe(TransferVerdict.Unreliable);
        arm.Reason!.ShouldStartWith("the arm had more optimization than the baseline");
    }

    [Fact]
    public void ASmallConsistentDifferenceIsEquivalentNotInconclusive()
    {
        var baseline = Baseline(0.700, 0.710, 0.720, 0.730, 0.740);
        var runs = baseline.Concat([Run("source", 1, 0.712), Run("source", 2, 0.706), Run("source", 3, 0.728), Run("source", 4, 0.733), Run("source", 5, 0.739)]);

        var arm = Arm(runs);

        arm.Verdict.ShouldBe(TransferVerdict.Equivalent);
        arm.EquivalenceP!.Value.ShouldBe(0.0463074711810975, 1e-6); // the same differences as the statsmodels reference
    }

    [Fact]
    public void AWideSpreadIsInconclusiveWithASeedPlan()
    {
        var runs = Baseline(0.70, 0.70, 0.70).Concat([Run("source", 1, 0.75), Run("source", 2, 0.68), Run("source", 3, 0.73)]);

        var arm = Arm(runs);

        arm.Verdict.ShouldBe(TransferVerdict.Inconclusive);
        arm.SeedsToDecide.ShouldNotBeNull();
        arm.SeedsToDecide!.Value.ShouldBeGreaterThan(3);
        arm.Reason!.ShouldContain($"about {arm.SeedsToDecide} seeds would decide");
    }

    [Fact]
    public void TheFrozenRandomArmIsAControlNotATransfer()
    {
        var runs = Baseline(0.70, 0.72, 0.71).Concat([
            Run("frozen-random", 1, 0.40, TrainingStrategy.FeatureExtraction, hasSource: false),
            Run("frozen-random", 2, 0.41, TrainingStrategy.FeatureExtraction, hasSource: false),
            Run("frozen-random", 3, 0.42, TrainingStrategy.FeatureExtraction, hasSource: false)]);

        var arm = Arm(runs, "frozen-random");

        arm.Verdict.ShouldBe(TransferVerdict.Control);
        arm.Reason!.ShouldContain("freezing costs capacity here");
        ArmVerdicts.SanityWarnings(ArmVerdicts.Summarise([.. runs])).ShouldBeEmpty();
    }

    [Fact]
    public void ABaselineBelowTheFrozenRandomControlIsCalledUnderTrained()
    {
        var runs = Baseline(0.13, 0.14, 0.13).Concat([
            Run("frozen-random", 1, 0.63, TrainingStrategy.FeatureExtraction, hasSource: false),
            Run("frozen-random", 2, 0.67, TrainingStrategy.FeatureExtraction, hasSource: false),
            Run("frozen-random", 3, 0.68, TrainingStrategy.FeatureExtraction, hasSource: false)]);

        var results = ArmVerdicts.Summarise([.. runs]);

        results.Single(r => r.Arm == "frozen-random").Reason!.ShouldContain("the baseline is weak here");
        ArmVerdicts.SanityWarnings(results).ShouldHaveSingleItem().ShouldStartWith("The scratch baseline scores below the 'frozen-random' control (+0.527");
    }

    [Fact]
    public void AClassTheArmHurtsIsFlaggedWhileMacroF1Rises()
    {
        ClassF1[] Classes(double a, double b, double minority) => [new("a", a, 50), new("b", b, 50), new("rare", minority, 5)];
        var runs = new List<RunDto>();
        for (var seed = 1; seed <= 5; seed++)
        {
            var jitter = seed * 0.002;
            runs.Add(Run("baseline", seed, 0.70 + jitter, perClass: Classes(0.60 + jitter, 0.70, 0.80 + jitter)));
            runs.Add(Run("source", seed, 0.75 + jitter, perClass: Classes(0.90, 0.95 - jitter, 0.40 + 2 * jitter)));
        }

        var arm = Arm(runs);

        arm.Verdict.ShouldBe(TransferVerdict.Positive);
        arm.Classes!.Single(c => c.Hurt).Class.ShouldBe("rare");
        arm.Classes!.Single(c => c.Class == "rare").Difference.ShouldBe(-0.4 + 0.002 * 3, 1e-9);
    }

    [Fact]
    public void IntervalsOfMacroF1StayWithinZeroAndOne()
    {
        var arm = ArmVerdicts.Summarise(Baseline(0.05, 0.95)).Single();

        (arm.Low, arm.High).ShouldBe((0.0, 1.0));
        arm.Verdict.ShouldBe(TransferVerdict.Reference);
    }
}
