using Microsoft.Extensions.Logging.Abstractions;
using TransferHub.Shared.Training;
using TransferHub.Training.Data;
using TransferHub.Training.Strategies;

namespace TransferHub.Tests.Unit.Training;

[Collection(TorchCollection.Name)]
[Trait("Category", "Slow")]
public sealed class CheckpointTests(SourceModels sources) : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("th-checkpoint-").FullName;

    [Theory]
    [InlineData(TrainingStrategy.Baseline)]
    [InlineData(TrainingStrategy.ProgressiveUnfreeze)]
    [InlineData(TrainingStrategy.FeatureExtraction)]
    public void ResumingAfterAnInterruptionGivesTheSameRunAsTrainingStraight(TrainingStrategy strategy)
    {
        using var target = TrainingHarness.Task(SyntheticLabel.Shape, 96, 48, 48, seed: 81);
        var spec = StrategyTests.Spec(strategy, seed: 3, epochs: 4) with { Augment = true };
        var source = strategy == TrainingStrategy.Baseline ? null : sources.Shape;
        var straight = TrainingHarness.Run(spec, target, source);

        // "Crash" after epoch 2: a first worker runs only two epochs, a fresh one picks up the checkpoint.
        using (var first = TrainingHarness.CreateModel(spec, target.NumClasses, source))
            RunUntilCancelledAfter(2, first, target, spec);
        using var second = TrainingHarness.CreateModel(spec, target.NumClasses, source);
        var resumed = Trainer().Fit(second, target, spec, checkpointDirectory: folder);

        resumed.Epochs.Count.ShouldBe(4);
        resumed.Epochs.Select(e => e.Validation.Loss).ShouldBe(straight.Epochs.Select(e => e.Validation.Loss));
        resumed.Test.Loss.ShouldBe(straight.Test.Loss);
    }

    [Fact]
    public void EarlyStoppingEndsTheRunAfterPatienceEpochsWithoutImprovement()
    {
        using var target = TrainingHarness.Task(SyntheticLabel.Shape, 64, 32, 32, seed: 82);
        // A zero learning rate cannot improve on epoch 1, so patience 2 stops after epoch 3.
        var spec = StrategyTests.Spec(TrainingStrategy.Baseline, seed: 1, epochs: 10) with { LearningRate = 0, Patience = 2 };

        var result = TrainingHarness.Run(spec, target);

        result.Epochs.Count.ShouldBe(3);
        result.BestEpoch.ShouldBe(1);
    }

    public void Dispose() => Directory.Delete(folder, recursive: true);

    private static Trainer Trainer() => new(NullLogger<Trainer>.Instance, TimeProvider.System);

    /// <summary>A worker that loses its lease after <paramref name="epochs"/> epochs (cancelled mid-run).</summary>
    private void RunUntilCancelledAfter(int epochs, TransferHub.Training.Models.ClassifierModel model, DataSplits data, TrainingJobSpec spec)
    {
        using var cancel = new CancellationTokenSource();
        var progress = new SynchronousProgress(m => { if (m.Epoch == epochs) cancel.Cancel(); });
        Should.Throw<OperationCanceledException>(() => Trainer().Fit(model, data, spec, progress, cancel.Token, folder));
    }

    private sealed class SynchronousProgress(Action<EpochMetrics> report) : IProgress<EpochMetrics>
    {
        public void Report(EpochMetrics value) => report(value);
    }
}
