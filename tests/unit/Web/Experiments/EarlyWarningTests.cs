using TransferHub.Shared.Training;
using TransferHub.Web.Features.Experiments;

namespace TransferHub.Tests.Unit.Web.Experiments;

public sealed class EarlyWarningTests
{
    private static (string, int, EpochMetrics) Epoch(string arm, int seed, int epoch, double f1) =>
        (arm, seed, new EpochMetrics(epoch, 1.0, new ClassificationMetrics(1.0, f1, f1, 0, [], []), 100, 1, 1e-3, 10, false));

    private static IEnumerable<(string, int, EpochMetrics)> Run(string arm, int seed, params double[] f1) =>
        f1.Select((f, i) => Epoch(arm, seed, i + 1, f));

    [Fact]
    public void AnArmClearlyBehindOnEverySeedRaisesAWarning()
    {
        var history = Run("baseline", 1, 0.5, 0.7, 0.8).Concat(Run("baseline", 2, 0.5, 0.72, 0.82)).Concat(Run("baseline", 3, 0.55, 0.7, 0.79))
            .Concat(Run("shuffled source", 1, 0.4, 0.5, 0.52)).Concat(Run("shuffled source", 2, 0.45, 0.55, 0.56)).Concat(Run("shuffled source", 3, 0.42, 0.5, 0.5)).ToList();

        var warnings = ArmVerdicts.EarlyWarnings(history);

        warnings.ShouldHaveSingleItem().ShouldStartWith("Possible negative transfer: 'shuffled source'");
    }

    [Fact]
    public void APlaceboThatWandersAroundTheBaselineIsNotAWarning()
    {
        // An untrained source fine-tuned like the baseline: ahead on one seed, behind on another — the interval spans zero.
        var history = Run("baseline", 1, 0.5, 0.7, 0.8).Concat(Run("baseline", 2, 0.5, 0.7, 0.8)).Concat(Run("baseline", 3, 0.5, 0.7, 0.8))
            .Concat(Run("placebo", 1, 0.4, 0.6, 0.72)).Concat(Run("placebo", 2, 0.6, 0.8, 0.86)).Concat(Run("placebo", 3, 0.45, 0.68, 0.79)).ToList();

        ArmVerdicts.EarlyWarnings(history).ShouldBeEmpty();
    }

    [Fact]
    public void AnArmAheadIsNotAWarningAndOneSeedIsNotEnough()
    {
        var ahead = Run("baseline", 1, 0.5, 0.6).Concat(Run("baseline", 2, 0.5, 0.6)).Concat(Run("good source", 1, 0.8, 0.9)).Concat(Run("good source", 2, 0.82, 0.9)).ToList();
        var oneSeed = Run("baseline", 1, 0.9, 0.9).Concat(Run("bad source", 1, 0.2, 0.2)).ToList();

        ArmVerdicts.EarlyWarnings(ahead).ShouldBeEmpty();
        ArmVerdicts.EarlyWarnings(oneSeed).ShouldBeEmpty();
    }

    [Fact]
    public void ControlsAreNotJudgedAndSeedsPairOnlyWithTheirOwnBaseline()
    {
        var history = Run("baseline", 1, 0.9, 0.9).Concat(Run("baseline", 2, 0.9, 0.9))
            .Concat(Run("frozen-random", 1, 0.3, 0.3)).Concat(Run("frozen-random", 2, 0.3, 0.3))
            .Concat(Run("other seeds", 3, 0.3, 0.3)).Concat(Run("other seeds", 4, 0.3, 0.3)).ToList();

        ArmVerdicts.EarlyWarnings(history, new HashSet<string> { "frozen-random" }).ShouldBeEmpty();
        ArmVerdicts.EarlyWarnings(history).ShouldHaveSingleItem().ShouldContain("'frozen-random'");
    }
}
