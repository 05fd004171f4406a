using TransferHub.Shared.Experiments;
using TransferHub.Shared.Training;
using TransferHub.Web.Features.Experiments;

namespace TransferHub.Tests.Unit.Web.Experiments;

public sealed class LabelEfficiencyTests
{
    private static RunDto Run(string arm, int seed, double fraction, double f1) =>
        new(Guid.NewGuid(), arm, TrainingStrategy.Baseline, seed, RunStatus.Succeeded, 1, 5, f1, f1, null, null, null, null, fraction);

    [Fact]
    public void SaysWithWhichShareOfTheLabelsATransferArmReachesTheBaselinesFullDataScore()
    {
        RunDto[] runs =
        [
            Run("baseline", 1, 0.25, 0.50), Run("baseline", 2, 0.25, 0.60), Run("baseline", 1, 1, 0.80), Run("baseline", 2, 1, 0.84),
            Run("fine-tune", 1, 0.25, 0.83), Run("fine-tune", 2, 0.25, 0.85), Run("fine-tune", 1, 1, 0.95), Run("fine-tune", 2, 1, 0.93),
            Run("colour", 1, 0.25, 0.20), Run("colour", 2, 0.25, 0.30), Run("colour", 1, 1, 0.40), Run("colour", 2, 1, 0.44),
        ];

        var (points, notes) = LabelEfficiency.Summarise(runs);

        points.Count.ShouldBe(6);
        points.Single(p => p.Arm == "baseline" && p.Fraction == 0.25).Mean.ShouldBe(0.55, 1e-9);
        notes.ShouldContain("'fine-tune' reaches the baseline's full-data macro-F1 (0.820) with 25% of the labels.");
        notes.ShouldContain("'colour' stays below the baseline's full-data macro-F1 (0.820) at every share of the labels tried.");
    }

    [Fact]
    public void OneShareOfLabelsGivesNoEfficiencyCurve()
    {
        var (points, notes) = LabelEfficiency.Summarise([Run("baseline", 1, 1, 0.8), Run("fe", 1, 1, 0.9)]);

        points.ShouldBeEmpty();
        notes.ShouldBeEmpty();
    }
}
