using TransferHub.Shared.Statistics;

namespace TransferHub.Tests.Unit.Shared;

public sealed class IntervalsTests
{
    [Fact]
    public void TIntervalOfThreeValuesMatchesHandComputation()
    {
        // mean 0.8, sd 0.1, n 3: half-width = 4.303 × 0.1 / √3 = 0.24844
        var (mean, low, high) = Intervals.MeanT95([0.7, 0.8, 0.9]);

        mean.ShouldBe(0.8, 1e-12);
        low!.Value.ShouldBe(0.8 - 0.24844, 1e-4);
        high!.Value.ShouldBe(0.8 + 0.24844, 1e-4);
    }

    [Theory]
    [InlineData(0.01, 0.05, TransferVerdict.Positive)]
    [InlineData(-0.05, -0.01, TransferVerdict.Negative)]
    [InlineData(-0.01, 0.02, TransferVerdict.Inconclusive)]
    public void VerdictFollowsTheIntervalNeverTheMean(double low, double high, TransferVerdict verdict) =>
        Intervals.Verdict(low, high).ShouldBe(verdict);

    [Fact]
    public void AWideIntervalIsClippedToWhatTheMetricAllows()
    {
        var (_, low, high) = Intervals.MeanT95([0.05, 0.95]); // [−5.2, 6.2] unclipped

        Intervals.Clip(low, high, 0, 1).ShouldBe((0.0, 1.0));
        Intervals.Clip(-0.2, 0.3, 0, 1).ShouldBe((0.0, 0.3));
    }

    [Fact]
    public void OneSeedGivesNoIntervalAndNoVerdict()
    {
        var (_, low, high) = Intervals.MeanT95([0.5]);

        (low, high).ShouldBe((null, null));
        Intervals.Verdict(low, high).ShouldBe(TransferVerdict.Inconclusive);
    }
}
