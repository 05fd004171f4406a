using Microsoft.Extensions.Logging.Abstractions;
using TransferHub.Shared.Training;
using TransferHub.Training.Data;
using TransferHub.Training.Strategies;

namespace TransferHub.Tests.Unit.Training;

public sealed class LearningRateRangeTestChoiceTests
{
    private static readonly double[] Rates = [.. Enumerable.Range(0, 100).Select(i => 1e-6 * Math.Pow(1e6, i / 99.0))];

    [Fact]
    public void ATenthOfTheRateAtTheLowestLossIsChosen()
    {
        // A loss that falls towards rate 1e-2 and climbs after it, as a real range test does.
        var losses = Rates.Select(r => 2 - Math.Exp(-Math.Pow(Math.Log10(r) + 2, 2))).ToList();

        var search = LearningRateRangeTest.Choose(Rates, losses, requested: 1e-3);

        search.Decided.ShouldBeTrue();
        search.LowestLossRate.ShouldBeInRange(1e-2, 4e-2); // the moving average lags a few steps behind the raw minimum at 1e-2
        search.Chosen.ShouldBe(search.LowestLossRate / 10, 1e-12);
        search.Reason.ShouldContain("a tenth of it");
        search.Losses.Count.ShouldBe(100);
    }

    [Fact]
    public void AFlatLossKeepsTheRequestedRate()
    {
        var search = LearningRateRangeTest.Choose(Rates, [.. Rates.Select(_ => 1.6)], requested: 3e-4);

        search.Decided.ShouldBeFalse();
        search.Chosen.ShouldBe(3e-4);
        search.Reason.ShouldContain("did not fall");
    }

    [Fact]
    public void ALossThatDivergesAtOnceKeepsTheRequestedRate()
    {
        var search = LearningRateRangeTest.Choose(Rates.Take(6).ToList(), [1.6, 1.5, 1.4, 9, 80, double.NaN], requested: 1e-3);

        search.Decided.ShouldBeFalse();
        search.Chosen.ShouldBe(1e-3);
        search.Reason.ShouldContain("diverged");
    }

    [Fact]
    public void TheChoiceStaysWithinTheCeiling()
    {
        var falling = Rates.Select(r => 2 - Math.Log10(r) / 10).ToList(); // lowest at the highest rate tried, 1

        LearningRateRangeTest.Choose(Rates, falling, requested: 1e-3).Chosen.ShouldBe(LearningRateRangeTest.CeilingRate);
    }
}

[Collection(TorchCollection.Name)]
[Trait("Category", "Slow")]
public sealed class LearningRateRangeTestTrainingTests(SourceModels sources)
{
    [Fact]
    public void ARateFarTooHighForTheBaselineIsReplacedByOneThatTrains()
    {
        using var target = TrainingHarness.Task(SyntheticLabel.Shape, 240, 80, 200, seed: 31, palette: SyntheticShapes.PaletteB);
        var spec = StrategyTests.Spec(TrainingStrategy.Baseline, seed: 1, epochs: 12) with { LearningRate = 3 };

        var search = Search(spec, target);
        var tuned = TrainingHarness.Run(spec with { LearningRate = search.Chosen }, target);

        search.Decided.ShouldBeTrue(search.Reason);
        search.Chosen.ShouldBeInRange(LearningRateRangeTest.FloorRate, 0.03);
        search.Losses.Count.ShouldBeLessThanOrEqualTo(LearningRateRangeTest.Steps);
        tuned.Test.MacroF1.ShouldBeGreaterThan(0.5);
        // At the requested rate the same run learns next to nothing (or diverges).
        var untuned = Should.NotThrow(() => { try { return TrainingHarness.Run(spec, target).Test.MacroF1; } catch (TrainingDivergedException) { return 0; } });
        untuned.ShouldBeLessThan(tuned.Test.MacroF1 - 0.2);
    }

    [Theory]
    [InlineData(TrainingStrategy.FeatureExtraction)]
    [InlineData(TrainingStrategy.ProgressiveUnfreeze)]
    public void TheSameArmOnTheSameDataGetsTheSameRate(TrainingStrategy strategy)
    {
        using var target = TrainingHarness.Task(SyntheticLabel.Shape, 96, 48, 48, seed: 84);
        var spec = StrategyTests.Spec(strategy, seed: 0, epochs: 6);

        var first = Search(spec, target, sources.Shape);
        var second = Search(spec, target, sources.Shape);

        first.Chosen.ShouldBe(second.Chosen);
        first.Losses.ShouldBe(second.Losses);
        first.Rates[0].ShouldBe(LearningRateRangeTest.LowestRate);
    }

    private static LearningRateSearch Search(TrainingJobSpec spec, DataSplits data, IReadOnlyDictionary<string, TorchSharp.torch.Tensor>? source = null)
    {
        using var probe = TrainingHarness.CreateModel(spec, data.NumClasses, source);
        return new Trainer(NullLogger<Trainer>.Instance, TimeProvider.System).FindLearningRate(probe, data, spec);
    }
}
