using TransferHub.Shared.Statistics;

namespace TransferHub.Tests.Unit.Shared;

public sealed class PairedBootstrapTests
{
    private static readonly int[] Labels = [.. Enumerable.Range(0, 60).Select(i => i % 3)];

    private static ItemPredictions Run(int seed, Func<int, int> predict) => new(seed, Labels, [.. Enumerable.Range(0, 60).Select(predict)]);

    [Fact]
    public void MacroF1MatchesAHandComputedValue()
    {
        // Class 0: tp 1, fp 1, fn 0 → 2/3; class 1: tp 1, fp 0, fn 1 → 2/3; mean 2/3.
        PairedBootstrap.MacroF1([0, 1, 1], [0, 0, 1], [0, 1, 2]).ShouldBe(2.0 / 3, 1e-12);
    }

    [Fact]
    public void ABetterArmOnEverySeedGetsAnIntervalAboveZero()
    {
        ItemPredictions[] baseline = [Run(1, i => i % 2 == 0 ? Labels[i] : (Labels[i] + 1) % 3), Run(2, i => i % 3 == 0 ? Labels[i] : (Labels[i] + 2) % 3)];
        ItemPredictions[] arm = [Run(1, i => Labels[i]), Run(2, i => i % 10 == 0 ? (Labels[i] + 1) % 3 : Labels[i])];

        var result = PairedBootstrap.MacroF1Difference(baseline, arm)!.Value;

        result.Low.ShouldBeGreaterThan(0);
        result.Difference.ShouldBeInRange(result.Low, result.High);
    }

    [Fact]
    public void SeedToSeedVariationWidensTheInterval()
    {
        // A placebo-like arm: far better on seed 1, a little worse on seeds 2 and 3. Resampling only the items (pooled over the
        // three seeds) gave an interval above zero; resampling the seeds as well covers the seed that went the other way.
        int Wrong(int i, int every) => i % every == 0 ? (Labels[i] + 1) % 3 : Labels[i];
        ItemPredictions[] baseline = [Run(1, i => Wrong(i, 2)), Run(2, i => Wrong(i, 6)), Run(3, i => Wrong(i, 6))];
        ItemPredictions[] arm = [Run(1, i => Labels[i]), Run(2, i => Wrong(i, 4)), Run(3, i => Wrong(i, 4))];

        var result = PairedBootstrap.MacroF1Difference(baseline, arm)!.Value;

        result.Difference.ShouldBeGreaterThan(0);
        result.Low.ShouldBeLessThan(0);
        result.High.ShouldBeGreaterThan(0);
    }

    [Fact]
    public void TheSamePredictionsGiveZeroAndMismatchedTestSetsGiveNothing()
    {
        ItemPredictions[] runs = [Run(1, i => i % 4 == 0 ? 0 : Labels[i])];

        var same = PairedBootstrap.MacroF1Difference(runs, runs)!.Value;
        var otherSeed = PairedBootstrap.MacroF1Difference(runs, [Run(2, i => Labels[i])]);
        var otherItems = PairedBootstrap.MacroF1Difference(runs, [new ItemPredictions(1, [0, 1], [0, 1])]);

        (same.Difference, same.Low, same.High).ShouldBe((0.0, 0.0, 0.0));
        otherSeed.ShouldBeNull();
        otherItems.ShouldBeNull();
    }
}
