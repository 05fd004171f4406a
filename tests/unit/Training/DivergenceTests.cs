using TransferHub.Shared.Training;
using TransferHub.Training.Data;
using TransferHub.Training.Strategies;

namespace TransferHub.Tests.Unit.Training;

[Collection(TorchCollection.Name)]
[Trait("Category", "Slow")]
public sealed class DivergenceTests
{
    [Fact]
    public void ALossThatStopsBeingANumberStopsTheRunWithAClearMessage()
    {
        using var data = TrainingHarness.Task(SyntheticLabel.Shape, 64, 16, 16, seed: 5);
        var spec = new TrainingJobSpec(TrainingHarness.Architecture, TrainingStrategy.Baseline, Seed: 1, Epochs: 5, BatchSize: 16,
            LearningRate: 1e30, Patience: 0, Device: "cpu", WarmupEpochs: 0);

        var diverged = Should.Throw<TrainingDivergedException>(() => TrainingHarness.Run(spec, data));

        diverged.Message.ShouldContain("Training diverged at epoch");
        diverged.Message.ShouldContain("Lower the learning rate");
    }
}
