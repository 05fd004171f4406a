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
    public void TransferSavesTheLabelsTheBaselineNeededTimesTheSecondsPerLabel()
    {
        RunDto[] runs =
        [
            Run("baseline", 1, 0.25, 0.50), Run("baseline", 2, 0.25, 0.60), Run("baseline", 1, 1, 0.80), Run("baseline", 2, 1, 0.84),
            Run("fine-tune", 1, 0.25, 0.78), Run("fine-tune", 2, 0.25, 0.90), Run("fine-tune", 1, 1, 0.95), Run("fine-tune", 2, 1, 0.93),
            Run("colour", 1, 0.25, 0.20), Run("colour", 2, 0.25, 0.30), Run("colour", 1, 1, 0.40), Run("colour", 2, 1, 0.44),
        ];
        var (points, _) = LabelEfficiency.Summarise(runs);
        // Annotators took 10, 12, 20, 30 and 40 s per label: median 20, quartiles 12 and 30.
        var seconds = LabelSeconds.From([30, 10, 20, 40, 12])!;

        var savings = LabelEfficiency.Savings(points, trainCount: 1200, seconds);

        seconds.ShouldBe(new LabelSeconds(20, 12, 30, 5));
        // fine-tune's mean at 25 % (0.84) reaches the baseline's 0.82: 900 of 1 200 labels saved; its interval at 25 % is
        // wide (0.84 ± 0.76), so the optimistic count is 900 too and the pessimistic one (lower bound reached only at 100 %) 0.
        var fineTune = savings.Single(s => s.Arm == "fine-tune");
        (fineTune.Labels, fineTune.LabelsLow, fineTune.LabelsHigh).ShouldBe((900, 0, 900));
        fineTune.Hours!.Value.ShouldBe(900 * 20 / 3600.0, 1e-9);
        (fineTune.HoursLow, fineTune.HoursHigh!.Value).ShouldBe((0.0, 900 * 30 / 3600.0));
        LabelEfficiency.Describe(fineTune).ShouldBe("'fine-tune' saves ≈ 5.0 h [0 h, 7.5 h] of labeling: 900 labels (0–900) at a median 20 s per label over 5 timed labels.");
        LabelEfficiency.Describe(savings.Single(s => s.Arm == "colour")).ShouldBe("'colour' saves no labeling on the shares tried.");
        LabelEfficiency.Describe(LabelEfficiency.Savings(points, 1200, null).Single(s => s.Arm == "fine-tune"))
            .ShouldBe("'fine-tune' saves ≈ 900 labels (0–900); label in the app to turn that into hours.");
    }

    [Theory]
    [InlineData(11, 0.1, "1 s")] // a few quick labels: seconds, not "0 min"
    [InlineData(90, 20, "30 min")]
    [InlineData(900, 20, "5.0 h")]
    public void SavingsReadInTheUnitThatSaysSomething(int labels, double medianSeconds, string expected)
    {
        var saving = new LabelingSavings("fe", labels, labels, labels, labels * medianSeconds / 3600, labels * medianSeconds / 3600,
            labels * medianSeconds / 3600, medianSeconds, 8);

        LabelEfficiency.Describe(saving).ShouldStartWith($"'fe' saves ≈ {expected} [{expected}, {expected}] of labeling");
    }

    [Fact]
    public void OneShareOfLabelsGivesNoEfficiencyCurve()
    {
        var (points, notes) = LabelEfficiency.Summarise([Run("baseline", 1, 1, 0.8), Run("fe", 1, 1, 0.9)]);

        points.ShouldBeEmpty();
        notes.ShouldBeEmpty();
    }
}
