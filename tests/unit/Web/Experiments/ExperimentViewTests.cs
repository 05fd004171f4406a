using TransferHub.Shared.Experiments;
using TransferHub.Shared.Training;
using TransferHub.Web.Components.Pages.Experiments;

namespace TransferHub.Tests.Unit.Web.Experiments;

public sealed class ExperimentViewTests
{
    private static RunDto Run(string arm, int seed, RunStatus status, double? f1 = null, double fraction = 1, int? budget = 100, long? stepsDone = null,
        double? stepSeconds = null, int epochs = 0, int epochsDone = 0, double? epochSeconds = null, IReadOnlyList<ClassF1>? perClass = null, bool? converged = null) =>
        new(Guid.NewGuid(), arm, TrainingStrategy.Baseline, seed, status, 1, epochsDone, f1, f1, null, null, null, LabelFraction: fraction,
            LastEpochSeconds: epochSeconds, Epochs: epochs, PerClass: perClass, BudgetSteps: budget, StepsDone: stepsDone, StepSeconds: stepSeconds,
            Converged: converged, LearningRate: 0.001);

    private static ExperimentDto Experiment(params RunDto[] runs) =>
        new(Guid.NewGuid(), Guid.NewGuid(), "e", Guid.NewGuid(), "small-cnn", 2, 0, 32, DateTimeOffset.UnixEpoch, "running", runs, [], "", [], []);

    [Fact]
    public void TimeLeftIsStepsLeftAtEachArmsMedianPaceWithTheOverallPaceForArmsNotYetMeasured()
    {
        var experiment = Experiment(
            Run("baseline", 1, RunStatus.Succeeded, 0.8, stepsDone: 100, stepSeconds: 0.1),
            Run("baseline", 2, RunStatus.Running, stepsDone: 40, stepSeconds: 0.3),
            Run("fine-tune", 1, RunStatus.Pending));

        // baseline's median of (0.1, 0.3) is 0.3 (upper middle): 60 steps × 0.3; fine-tune unmeasured: 100 steps × 0.3 (the mean of paces).
        ExperimentView.SecondsLeft(experiment)!.Value.ShouldBe(60 * 0.3 + 100 * 0.3, tolerance: 1e-9);
    }

    [Fact]
    public void WithoutAStepBudgetTimeLeftIsEpochsLeftAtTheMeasuredEpochPace()
    {
        var experiment = Experiment(
            Run("baseline", 1, RunStatus.Running, budget: null, epochs: 10, epochsDone: 4, epochSeconds: 2),
            Run("baseline", 2, RunStatus.Pending, budget: null, epochs: 10));

        ExperimentView.SecondsLeft(experiment)!.Value.ShouldBe(6 * 2 + 10 * 2, tolerance: 1e-9);
        ExperimentView.SecondsLeft(Experiment(Run("baseline", 1, RunStatus.Succeeded, 0.5, budget: null, epochs: 3, epochsDone: 3, epochSeconds: 1))).ShouldBeNull();
    }

    [Fact]
    public void ThePerClassTableAveragesEachArmsFullLabelRunsOnly()
    {
        var experiment = Experiment(
            Run("baseline", 1, RunStatus.Succeeded, 0.5, perClass: [new("cat", 0.4, 10), new("dog", 0.6, 10)]),
            Run("baseline", 2, RunStatus.Succeeded, 0.7, perClass: [new("cat", 0.6, 10), new("dog", 0.8, 10)]),
            Run("baseline", 1, RunStatus.Succeeded, 0.1, fraction: 0.1, perClass: [new("cat", 0.0, 10), new("dog", 0.0, 10)]));

        var table = ExperimentView.PerClassTable(experiment);

        table.Keys.ShouldBe(["cat", "dog"]);
        table["cat"]["baseline"].ShouldBe(0.5, tolerance: 1e-9);
        table["dog"]["baseline"].ShouldBe(0.7, tolerance: 1e-9);
    }

    [Fact]
    public void TheBestRunIsTheBestOnTheMostLabelsAndUnconvergedOnesAreListed()
    {
        var small = Run("fine-tune", 1, RunStatus.Succeeded, 0.95, fraction: 0.5);
        var full = Run("baseline", 1, RunStatus.Succeeded, 0.7, converged: false);
        var better = Run("fine-tune", 1, RunStatus.Succeeded, 0.8, converged: true);
        var experiment = Experiment(small, full, better, Run("baseline", 2, RunStatus.Failed));

        ExperimentView.BestRun(experiment).ShouldBe(better);
        ExperimentView.Unconverged(experiment).ShouldBe([full]);
        ExperimentView.LearningRates(experiment).ShouldBe("fine-tune: lr 0.001; baseline: lr 0.001");
    }
}
