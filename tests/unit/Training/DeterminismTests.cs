using TransferHub.Shared.Training;
using TransferHub.Training.Data;

namespace TransferHub.Tests.Unit.Training;

[Collection(TorchCollection.Name)]
[Trait("Category", "Slow")]
public sealed class DeterminismTests(SourceModels sources)
{
    [Theory]
    [InlineData(TrainingStrategy.Baseline)]
    [InlineData(TrainingStrategy.FineTune)]
    [InlineData(TrainingStrategy.FeatureExtraction)]
    public void SameSeedGivesTheSameMetricsOnCpu(TrainingStrategy strategy)
    {
        using var target = TrainingHarness.Task(SyntheticLabel.Shape, 96, 48, 48, seed: 41);
        var spec = StrategyTests.Spec(strategy, seed: 5, epochs: 3) with { Augment = true };
        var source = strategy == TrainingStrategy.Baseline ? null : sources.Shape;

        var first = TrainingHarness.Run(spec, target, source);
        var second = TrainingHarness.Run(spec, target, source);
        var otherSeed = TrainingHarness.Run(spec with { Seed = 6 }, target, source);

        Fingerprint(second).ShouldBe(Fingerprint(first));
        Fingerprint(otherSeed).ShouldNotBe(Fingerprint(first));
    }

    private static string Fingerprint(TrainingResult r) =>
        string.Join("|", r.Epochs.Select(e => $"{e.TrainLoss:R}/{e.Validation.Loss:R}/{e.Validation.MacroF1:R}")) + $"|{r.Test.Loss:R}";
}
