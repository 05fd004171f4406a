using TransferHub.Shared.Statistics;

namespace TransferHub.Tests.Unit.Shared;

/// <summary>Reference values computed with SciPy 1.10 and statsmodels 0.13 (Debian 12): scipy.stats.t.cdf/ppf,
/// scipy.stats.ttest_1samp, statsmodels.stats.weightstats.ttost_paired and statsmodels.stats.multitest.multipletests(method="holm").</summary>
public sealed class PairedTestsTests
{
    [Theory]
    [InlineData(1.5, 4, 0.896)]
    [InlineData(-2.3, 2, 0.07407407407407407)]
    [InlineData(0.7, 9.5, 0.749645587288235)]
    public void StudentTCdfMatchesSciPy(double t, double df, double expected) => StudentT.Cdf(t, df).ShouldBe(expected, 1e-9);

    [Theory]
    [InlineData(0.975, 2, 4.302652729911275)]
    [InlineData(0.95, 4, 2.13184678133629)]
    [InlineData(0.975, 29, 2.045229642132703)]
    public void StudentTQuantileMatchesSciPy(double p, double df, double expected) => StudentT.Quantile(p, df).ShouldBe(expected, 1e-8);

    private static readonly double[] SmallDifferences = [0.012, -0.004, 0.008, 0.003, -0.001];

    [Fact]
    public void PairedTTestMatchesSciPy() => PairedTests.TTestP(SmallDifferences)!.Value.ShouldBe(0.28351106422764233, 1e-9);

    [Fact]
    public void TostMatchesStatsmodels()
    {
        // Five seeds within ±0.01 of the baseline: equivalent at α = 0.05.
        var equivalent = PairedTests.Equivalence(SmallDifferences, 0.01)!.Value;
        // Three seeds spread from −0.02 to +0.05: not shown equivalent.
        var spread = PairedTests.Equivalence([0.05, -0.02, 0.03], 0.01)!.Value;

        equivalent.P.ShouldBe(0.0463074711810975, 1e-9);
        (equivalent.Low > -0.01 && equivalent.High < 0.01).ShouldBeTrue();
        spread.P.ShouldBe(0.6608168802256693, 1e-9);
        PairedTests.Equivalence([0.01], 0.01).ShouldBeNull();
    }

    [Fact]
    public void HolmMatchesStatsmodels() =>
        PairedTests.Holm([0.01, 0.04, 0.03, 0.005]).ShouldBe([0.03, 0.06, 0.06, 0.02], 1e-12);

    [Fact]
    public void SeedsPlannerFindsTheFirstSampleSizeThatDecides()
    {
        // mean 0.02, sd 0.02: t(0.975, n−1)·sd/√n < 0.02 first at n = 7 (2.447/√7 = 0.925; at n = 6, 2.571/√6 = 1.050).
        PairedTests.SeedsToDecide(0.02, 0.02, 3, margin: 0).ShouldBe(7);
        // A mean of zero with a tight spread is decided by equivalence: 0 + t(0.95, n−1)·0.01/√n < 0.01 first at n = 5.
        PairedTests.SeedsToDecide(0, 0.01, 2, margin: 0.01).ShouldBe(5);
        // A mean of zero and no margin never decides.
        PairedTests.SeedsToDecide(0, 0.05, 3, margin: 0).ShouldBeNull();
    }
}
