using TransferHub.Web.Features.Experiments;

namespace TransferHub.Tests.Unit.Web.Experiments;

public sealed class TransferabilityRecordTests
{
    [Theory] // reference values: scipy.stats.kendalltau (τ-b) from SciPy 1.10
    [InlineData(new[] { 1.0, 2, 3, 4 }, new[] { 1.0, 3, 2, 4 }, 0.6666666666666669)]
    [InlineData(new[] { 1.0, 1, 2, 3 }, new[] { 1.0, 2, 3, 4 }, 0.912870929175277)]
    [InlineData(new[] { 0.3, 0.1, 0.2 }, new[] { 0.9, 0.5, 0.4 }, 0.33333333333333337)]
    public void KendallTauMatchesSciPy(double[] a, double[] b, double expected) =>
        TransferabilityRecord.KendallTau(a, b)!.Value.ShouldBe(expected, 1e-12);

    [Fact]
    public void CountsHowOftenTheFirstChoiceHadTheBestArm()
    {
        Guid v1 = Guid.NewGuid(), v2 = Guid.NewGuid(), a = Guid.NewGuid(), b = Guid.NewGuid(), c = Guid.NewGuid();
        Guid e1 = Guid.NewGuid(), e2 = Guid.NewGuid(), e3 = Guid.NewGuid();
        // On v1 LogME ranks a > b > c and LEEP c > b > a; on v2 only one source was scored (not judged).
        var scores = new[] { (v1, a, (double?)3.0, (double?)-1.5), (v1, b, 2.0, -1.0), (v1, c, 1.0, -0.5), (v2, a, 1.0, -1.0) };
        var outcomes = new[]
        {
            (e1, v1, a, 0.9), (e1, v1, b, 0.8), (e1, v1, c, 0.7), // the ranking LogME gave: top hit, τ 1
            (e2, v1, a, 0.6), (e2, v1, c, 0.8),                  // c won: LEEP's pick
            (e3, v2, a, 0.5),
        };

        var record = TransferabilityRecord.Compute(scores, outcomes);

        (record.Experiments, record.LogMeTopHits, record.LeepTopHits).ShouldBe((2, 1, 1));
        record.LogMeTau!.Value.ShouldBe(0, 1e-12);  // mean of +1 and −1
        record.LeepTau!.Value.ShouldBe(0, 1e-12);   // mean of −1 and +1
        record.Summary.ShouldBe("In this project LogME's first choice had the best arm in 1 of 2 experiment(s) (Kendall τ 0.00); LEEP's in 1 (τ 0.00).");
        TransferabilityRecord.Compute(scores, []).Summary.ShouldStartWith("No track record yet");
    }
}
