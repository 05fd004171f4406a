using TransferHub.Shared.Training;
using TransferHub.Web.Features.Experiments;

namespace TransferHub.Tests.Unit.Web.Experiments;

public sealed class EarlyWarningTests
{
    private static (string, int, EpochMetrics) Epoch(string arm, int seed, int epoch, double f1) =>
        (arm, seed, new EpochMetrics(epoch, 1.0, new ClassificationMetrics(1.0, f1, f1, 0, [], []), 100, 1, 1e-3, 10, false));

    [Fact]
    public void TwoEpochsInARowBehindTheBaselineRaiseAWarning()
    {
        var history = new[]
        {
            Epoch("baseline", 1, 1, 0.60), Epoch("baseline", 1, 2, 0.70), Epoch("baseline", 1, 3, 0.80),
            Epoch("colour source", 1, 1, 0.62), Epoch("colour source", 1, 2, 0.55), Epoch("colour source", 1, 3, 0.50),
        };

        var warnings = ExperimentService.EarlyWarnings(history);

        warnings.ShouldHaveSingleItem().ShouldStartWith("Possible negative transfer: 'colour source'");
    }

    [Fact]
    public void OneBadEpochOrASmallGapIsNotAWarning()
    {
        var history = new[]
        {
            Epoch("baseline", 1, 1, 0.60), Epoch("baseline", 1, 2, 0.70), Epoch("baseline", 1, 3, 0.80),
            Epoch("fine-tune", 1, 1, 0.40), Epoch("fine-tune", 1, 2, 0.69), Epoch("fine-tune", 1, 3, 0.70),
        };

        ExperimentService.EarlyWarnings(history).ShouldBeEmpty();
    }

    [Fact]
    public void EpochsAreComparedWithTheSameSeedOnly()
    {
        var history = new[]
        {
            Epoch("baseline", 2, 1, 0.9), Epoch("baseline", 2, 2, 0.9),
            Epoch("fine-tune", 1, 1, 0.5), Epoch("fine-tune", 1, 2, 0.5),
        };

        ExperimentService.EarlyWarnings(history).ShouldBeEmpty();
    }
}
