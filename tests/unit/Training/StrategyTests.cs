using TransferHub.Shared.Training;
using TransferHub.Training.Data;

namespace TransferHub.Tests.Unit.Training;

[Collection(TorchCollection.Name)]
[Trait("Category", "Slow")]
public sealed class StrategyTests(SourceModels sources)
{
    private const double Chance = 1.0 / SyntheticShapes.ShapeCount;

    [Theory]
    [InlineData(TrainingStrategy.Baseline, 0.5)]
    [InlineData(TrainingStrategy.FeatureExtraction, 0.8)]
    [InlineData(TrainingStrategy.FineTune, 0.8)]
    [InlineData(TrainingStrategy.ProgressiveUnfreeze, 0.8)]
    public void EveryStrategyLearnsTheTargetTask(TrainingStrategy strategy, double minimumTestF1)
    {
        using var target = TrainingHarness.Task(SyntheticLabel.Shape, 240, 80, 200, seed: 31, palette: SyntheticShapes.PaletteB);
        var spec = Spec(strategy, seed: 1, epochs: 12);

        var result = TrainingHarness.Run(spec, target, strategy == TrainingStrategy.Baseline ? null : sources.Shape);

        result.Test.MacroF1.ShouldBeGreaterThan(minimumTestF1);
        result.Test.MacroF1.ShouldBeGreaterThan(Chance + 0.3);
        result.Epochs[0].TrainLoss.ShouldBeGreaterThan(result.Epochs[^1].TrainLoss);
        result.Epochs[result.BestEpoch - 1].Validation.MacroF1.ShouldBe(result.Epochs.Max(e => e.Validation.MacroF1));
        result.Test.Confusion.Sum(row => row.Sum()).ShouldBe(200);
    }

    [Fact]
    public void ProgressiveUnfreezeStartsWithTheHeadAndUnfreezesFromTheTop()
    {
        using var target = TrainingHarness.Task(SyntheticLabel.Shape, 64, 32, 32, seed: 32, palette: SyntheticShapes.PaletteB);

        var result = TrainingHarness.Run(Spec(TrainingStrategy.ProgressiveUnfreeze, seed: 1, epochs: 5), target, sources.Shape);

        var trainable = result.Epochs.Select(e => e.TrainableParameters).ToList();
        trainable[0].ShouldBe(16 * 4 * SyntheticShapes.ShapeCount + SyntheticShapes.ShapeCount); // head only
        trainable.ShouldBeInOrder(SortDirection.Ascending);
        trainable[3].ShouldBeGreaterThan(trainable[2]);
        trainable[^1].ShouldBe(trainable[3]); // all three blocks unfrozen by epoch 4
    }

    [Fact]
    public void FeatureExtractionEpochsAreFarFasterThanFineTuning()
    {
        using var target = TrainingHarness.Task(SyntheticLabel.Shape, 512, 64, 64, seed: 33);

        var frozen = TrainingHarness.Run(Spec(TrainingStrategy.FeatureExtraction, seed: 1, epochs: 4), target, sources.Shape);
        var tuned = TrainingHarness.Run(Spec(TrainingStrategy.FineTune, seed: 1, epochs: 4), target, sources.Shape);

        // Median epoch time: generous 5x margin (measured ~50-100x) so a busy CI core does not flip it.
        Median(tuned.Epochs.Select(e => e.EpochSeconds)).ShouldBeGreaterThan(5 * Median(frozen.Epochs.Select(e => e.EpochSeconds)));
    }

    internal static TrainingJobSpec Spec(TrainingStrategy strategy, int seed, int epochs) =>
        new(TrainingHarness.Architecture, strategy, Seed: seed, Epochs: epochs, BatchSize: 16,
            LearningRate: strategy == TrainingStrategy.Baseline ? 3e-3 : 1e-3, Patience: 0);

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted[sorted.Count / 2];
    }
}
