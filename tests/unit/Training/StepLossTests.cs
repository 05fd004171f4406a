using TransferHub.Shared.Training;
using TransferHub.Training.Data;
using TransferHub.Training.Strategies;

namespace TransferHub.Tests.Unit.Training;

[Collection(TorchCollection.Name)]
public sealed class StepLossTests
{
    [Theory]
    [InlineData(TrainingStrategy.Baseline)]
    [InlineData(TrainingStrategy.FeatureExtraction)]
    public void EveryOptimizerStepReportsItsLossWithItsEpoch(TrainingStrategy strategy)
    {
        using var data = TrainingHarness.Task(SyntheticLabel.Shape, 40, 16, 16, seed: 3);
        var spec = new TrainingJobSpec(TrainingHarness.Architecture, strategy, Seed: 1, Epochs: 2, BatchSize: 16, LearningRate: 3e-3, Patience: 0, Device: "cpu");
        var steps = new List<StepLoss>();
        using var model = TrainingHarness.CreateModel(spec, data.NumClasses, null);

        new Trainer(Microsoft.Extensions.Logging.Abstractions.NullLogger<Trainer>.Instance, TimeProvider.System)
            .Fit(model, data, spec, steps: new Inline(steps.Add));

        // 40 items in batches of 16: 3 steps an epoch, numbered across the run.
        steps.Select(s => (s.Epoch, s.Step)).ShouldBe([(1, 1), (1, 2), (1, 3), (2, 4), (2, 5), (2, 6)]);
        steps.ShouldAllBe(s => double.IsFinite(s.Loss) && s.Loss > 0);
    }

    /// <summary>Reports synchronously on the training thread (Progress&lt;T&gt; would post to the thread pool).</summary>
    private sealed class Inline(Action<StepLoss> report) : IProgress<StepLoss>
    {
        public void Report(StepLoss value) => report(value);
    }
}
