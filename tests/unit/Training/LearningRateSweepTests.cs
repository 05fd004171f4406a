using Microsoft.Extensions.Logging.Abstractions;
using TransferHub.Shared.Training;
using TransferHub.Training.Data;
using TransferHub.Training.Strategies;

namespace TransferHub.Tests.Unit.Training;

public sealed class LearningRateSweepChoiceTests
{
    private static readonly double[] Rates = [1e-4, 3e-4, 1e-3, 3e-3, 1e-2];

    [Fact]
    public void TheRateWithTheBestValidationScoreIsChosen()
    {
        var search = LearningRateSweep.Choose(Rates, [0.41, 0.62, 0.70, 0.74, 0.55], requested: 1e-3, stepsEach: 100);

        search.Decided.ShouldBeTrue();
        search.Chosen.ShouldBe(3e-3);
        search.Reason.ShouldBe("Sweep of 5 rates × 100 steps, validation macro-F1: 0.0001 → 0.410, 0.0003 → 0.620, 0.001 → 0.700, 0.003 → 0.740, 0.01 → 0.550; 0.003 is used.");
    }

    [Fact]
    public void AmongEqualScoresTheRateNearestTheRequestedOneIsChosen()
    {
        LearningRateSweep.Choose(Rates, [0.5, 0.9, 0.9, 0.9, 0.9], requested: 1e-3, stepsEach: 50).Chosen.ShouldBe(1e-3);
        LearningRateSweep.Choose(Rates, [0.5, 0.9, 0.9, 0.9, 0.9], requested: 2, stepsEach: 50).Chosen.ShouldBe(1e-2);
    }

    [Fact]
    public void DivergedRatesAreSkippedAndTheRequestedRateIsKeptWhenNoneTrained()
    {
        LearningRateSweep.Choose(Rates, [0.5, 0.6, double.NaN, double.NaN, double.NaN], requested: 1e-3, stepsEach: 50).Chosen.ShouldBe(3e-4);

        var none = LearningRateSweep.Choose(Rates, [.. Rates.Select(_ => double.NaN)], requested: 1e-3, stepsEach: 50);

        none.Decided.ShouldBeFalse();
        none.Chosen.ShouldBe(1e-3);
        none.Reason.ShouldContain("0.01 → diverged");
    }
}

[Collection(TorchCollection.Name)]
[Trait("Category", "Slow")]
public sealed class LearningRateSweepTrainingTests(SourceModels sources)
{
    [Fact]
    public void ARateFarTooHighForTheBaselineIsReplacedByOneThatTrains()
    {
        using var target = TrainingHarness.Task(SyntheticLabel.Shape, 240, 80, 200, seed: 31, palette: SyntheticShapes.PaletteB);
        var spec = StrategyTests.Spec(TrainingStrategy.Baseline, seed: 1, epochs: 12) with { LearningRate = 3 };

        var search = Sweep(spec, target);
        var tuned = TrainingHarness.Run(spec with { LearningRate = search.Chosen }, target);

        search.Decided.ShouldBeTrue(search.Reason);
        LearningRateSweep.Rates.ShouldContain(search.Chosen);
        search.StepsEach.ShouldBe(LearningRateSweep.MinimumSteps); // a quarter of 12 epochs × 15 batches is below the minimum
        tuned.Test.MacroF1.ShouldBeGreaterThan(0.5);
        // At the requested rate the same run learns next to nothing (or diverges).
        double untuned;
        try
        {
            untuned = TrainingHarness.Run(spec, target).Test.MacroF1;
        }
        catch (TrainingDivergedException)
        {
            untuned = 0;
        }
        untuned.ShouldBeLessThan(tuned.Test.MacroF1 - 0.2);
    }

    [Theory]
    [InlineData(TrainingStrategy.FeatureExtraction)]
    [InlineData(TrainingStrategy.ProgressiveUnfreeze)]
    public void TheSameArmOnTheSameDataGetsTheSameRate(TrainingStrategy strategy)
    {
        using var target = TrainingHarness.Task(SyntheticLabel.Shape, 96, 48, 48, seed: 84);
        var spec = StrategyTests.Spec(strategy, seed: 0, epochs: 6);

        var first = Sweep(spec, target, sources.Shape);
        var second = Sweep(spec, target, sources.Shape);

        first.Chosen.ShouldBe(second.Chosen);
        first.ValidationMacroF1.ShouldBe(second.ValidationMacroF1);
        first.Rates.ShouldBe(LearningRateSweep.Rates);
    }

    private static LearningRateSearch Sweep(TrainingJobSpec spec, DataSplits data, IReadOnlyDictionary<string, TorchSharp.torch.Tensor>? source = null) =>
        LearningRateSweep.Run(() => TrainingHarness.CreateModel(spec, data.NumClasses, source), data, spec,
            new Trainer(NullLogger<Trainer>.Instance, TimeProvider.System), CancellationToken.None);
}
