using TransferHub.Registry.Features.Drift;
using TransferHub.Shared.Registry;

namespace TransferHub.Tests.Unit.Registry;

public sealed class DriftStatisticsTests
{
    [Fact]
    public void PsiIsZeroForIdenticalSharesAndMatchesAHandComputedShift()
    {
        DriftStatistics.Psi([50, 50], [20, 20]).ShouldBe(0, 1e-12);
        // (0.9 − 0.5)·ln(0.9/0.5) + (0.1 − 0.5)·ln(0.1/0.5)
        DriftStatistics.Psi([50, 50], [90, 10]).ShouldBe(0.4 * Math.Log(1.8) + 0.4 * Math.Log(5), 1e-12);
    }

    [Fact]
    public void PsiStaysFiniteWhenAClassDisappears() =>
        double.IsFinite(DriftStatistics.Psi([50, 50], [100, 0])).ShouldBeTrue();

    [Fact]
    public void ChiSquareMatchesScipyOnATwoByTwoTable()
    {
        // scipy.stats.chi2_contingency([[10, 20], [20, 10]], correction=False) → (6.6667, p 0.009823, dof 1)
        var (statistic, df, p) = DriftStatistics.ChiSquare([10, 20], [20, 10]);

        statistic.ShouldBe(20.0 / 3, 1e-9);
        df.ShouldBe(1);
        p.ShouldBe(0.009823, 1e-5);
    }

    [Theory]
    [InlineData(3.841459, 1, 0.05)]
    [InlineData(5.991465, 2, 0.05)]
    [InlineData(6.634897, 1, 0.01)]
    [InlineData(18.307038, 10, 0.05)]
    [InlineData(0.5, 3, 0.918891)]
    public void ChiSquareSurvivalMatchesTables(double x, int df, double expected) =>
        DriftStatistics.ChiSquareSurvival(x, df).ShouldBe(expected, 1e-5);

    [Fact]
    public void ChiSquareOfIdenticalProportionsHasPValueOne() =>
        DriftStatistics.ChiSquare([30, 60, 10], [3, 6, 1]).PValue.ShouldBe(1, 1e-9);

    [Fact]
    public void KolmogorovDistributionMatchesItsCriticalValues()
    {
        DriftStatistics.KolmogorovQ(1.3581).ShouldBe(0.05, 5e-4);
        DriftStatistics.KolmogorovQ(1.6276).ShouldBe(0.01, 2e-4);
    }

    [Fact]
    public void KsSeesNoGapBetweenIdenticalSamplesAndAFullGapBetweenDisjointOnes()
    {
        double[] a = [.. Enumerable.Range(0, 100).Select(i => (double)i)];

        var same = DriftStatistics.KolmogorovSmirnov(a, a);
        var disjoint = DriftStatistics.KolmogorovSmirnov(a, [.. a.Select(x => x + 200)]);
        var half = DriftStatistics.KolmogorovSmirnov(a, [.. a.Select(x => x + 50)]);

        (same.Statistic, same.PValue).ShouldBe((0.0, 1.0));
        disjoint.Statistic.ShouldBe(1.0);
        disjoint.PValue.ShouldBeLessThan(1e-10);
        half.Statistic.ShouldBe(0.5, 1e-12);
        half.PValue.ShouldBeLessThan(1e-6);
    }

    [Fact]
    public void MmdTellsShiftedEmbeddingsFromSamplesOfTheSameDistribution()
    {
        var random = new Random(5);
        float[][] Sample(int n, double shift) => [.. Enumerable.Range(0, n).Select(_ => Enumerable.Range(0, 8).Select(_ => (float)(Gaussian(random) + shift)).ToArray())];
        var reference = Sample(120, 0);

        var same = DriftStatistics.Mmd(reference, Sample(120, 0));
        var shifted = DriftStatistics.Mmd(reference, Sample(120, 1));

        same.PValue.ShouldBeGreaterThan(0.05);
        shifted.PValue.ShouldBeLessThan(0.01);
        shifted.Statistic.ShouldBeGreaterThan(same.Statistic);
    }

    [Fact]
    public void MmdCostIsBoundedBySubsampling()
    {
        var random = new Random(1);
        float[][] big = [.. Enumerable.Range(0, 20_000).Select(_ => new[] { (float)random.NextDouble(), (float)random.NextDouble() })];
        var watch = System.Diagnostics.Stopwatch.StartNew();

        var result = DriftStatistics.Mmd(big, big, permutations: 50, maxPerSample: 100);

        result.PValue.ShouldBeGreaterThan(0.01);
        watch.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public void SmallWindowsAreReportedAsNotEnoughData()
    {
        var reference = Sample(new Random(2), 100, 0);
        var (status, tests) = DriftEvaluator.Evaluate(reference, Sample(new Random(3), 12, 0), new DriftSettings(), "image brightness");

        status.ShouldBe(DriftStatus.NotEnoughData);
        tests.Single().Detail.ShouldContain("12 predictions");
    }

    [Fact]
    public void IdenticalTrafficIsOkAndShiftedTrafficIsDrift()
    {
        var reference = Sample(new Random(2), 200, 0);

        var same = DriftEvaluator.Evaluate(reference, reference, new DriftSettings(), "image brightness");
        var shifted = DriftEvaluator.Evaluate(reference, Sample(new Random(3), 200, 0.4), new DriftSettings(), "image brightness");

        same.Status.ShouldBe(DriftStatus.Ok);
        same.Tests.Select(t => t.Name).ShouldBe(["PSI", "chi-square", "Kolmogorov–Smirnov", "Kolmogorov–Smirnov", "MMD"]);
        shifted.Status.ShouldBe(DriftStatus.Drift);
        shifted.Tests.Single(t => t.Name == "PSI").Status.ShouldBe(DriftStatus.Drift);
    }

    /// <summary>Two classes; <paramref name="shift"/> moves predictions to class 1, lowers confidence and brightens inputs.</summary>
    private static PredictionSample Sample(Random random, int n, double shift)
    {
        var classes = Enumerable.Range(0, n).Select(_ => random.NextDouble() < 0.5 + shift ? 1 : 0).ToList();
        return new PredictionSample([classes.Count(c => c == 0), classes.Count(c => c == 1)],
            [.. Enumerable.Range(0, n).Select(_ => 0.9 - shift * random.NextDouble())],
            [.. Enumerable.Range(0, n).Select(_ => 0.3 + shift + 0.1 * random.NextDouble())],
            [.. Enumerable.Range(0, n).Select(_ => new[] { (float)(Gaussian(random) + shift * 3), (float)Gaussian(random) })]);
    }

    private static double Gaussian(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
}
