using Microsoft.Extensions.Logging;
using TorchSharp;
using TransferHub.Shared.Training;
using TransferHub.Training.Data;
using TransferHub.Training.Models;
using TransferHub.Training.Runtime;
using static TorchSharp.torch;

namespace TransferHub.Training.Strategies;

// The epoch loop shared by every strategy: train, validate, keep the best checkpoint by validation macro-F1,
// stop early, restore the best state and evaluate the test split. Deterministic on CPU for a given seed; with a
// checkpoint directory it saves after every epoch and resumes from the last complete epoch it finds there.
public sealed class Trainer(ILogger<Trainer> logger, TimeProvider time)
{
    public TrainingResult Fit(
        ClassifierModel model, DataSplits data, TrainingJobSpec spec,
        IProgress<EpochMetrics>? progress = null, CancellationToken ct = default, string? checkpointDirectory = null,
        IProgress<StepLoss>? steps = null)
    {
        TorchRuntime.EnsureLoaded();
        FlushDenormal.Enable();
        var device = TorchRuntime.ResolveDevice(spec.Device);
        var started = time.GetTimestamp();
        manual_seed(spec.Seed);
        var generator = new Generator((ulong)spec.Seed);
        model.to(device);

        using var classWeights = spec.BalanceClasses ? data.Train.ClassWeights().to(device) : null;
        using IEpochRunner runner = spec.Strategy == TrainingStrategy.FeatureExtraction
            ? new FeatureExtractionRunner(model, data, spec, device, generator, classWeights)
            : new FullTrainingRunner(model, data, spec, device, generator, classWeights);

        var history = new List<EpochMetrics>();
        StateSnapshot? best = null;
        var bestEpoch = 0;
        var bestScore = double.NegativeInfinity;
        var firstEpoch = 1;
        if (checkpointDirectory is not null && TrainingCheckpoint.TryLoad(checkpointDirectory) is var (checkpoint, folder))
        {
            using (var current = StateSnapshot.Load(TrainingCheckpoint.CurrentFile(folder))) current.RestoreInto(runner.Checkpointed);
            best = StateSnapshot.Load(TrainingCheckpoint.BestFile(folder));
            runner.Resume(checkpoint.Epoch, TrainingCheckpoint.OptimizerFile(folder));
            (bestEpoch, bestScore, firstEpoch) = (checkpoint.BestEpoch, checkpoint.BestScore, checkpoint.Epoch + 1);
            history.AddRange(checkpoint.History);
            logger.LogInformation("Resuming {Strategy} after epoch {Epoch} from {Folder}", spec.Strategy, checkpoint.Epoch, folder);
        }
        try
        {
            for (var epoch = firstEpoch; epoch <= spec.Epochs && !StopEarly(spec, epoch - 1, bestEpoch); epoch++)
            {
                // Per-epoch seeds make shuffling, augmentation and dropout independent of how we got here (resume).
                generator.manual_seed(spec.Seed * 100_003L + epoch);
                manual_seed(spec.Seed * 100_003L + epoch);
                var epochStart = time.GetTimestamp();
                var current = epoch;
                var stats = runner.TrainEpoch(epoch, steps is null ? null : (step, loss) => steps.Report(new StepLoss(current, step, loss)), ct);
                if (!double.IsFinite(stats.Loss))
                {
                    throw new TrainingDivergedException(epoch, stats.Loss, stats.LearningRate);
                }
                var seconds = Math.Max(1e-9, time.GetElapsedTime(epochStart).TotalSeconds);
                var validation = runner.Evaluate(SplitKind.Validation);

                // Ties go to the lower validation loss, so a plateau in F1 still picks the better-calibrated state.
                var score = validation.MacroF1 - 1e-6 * validation.Loss;
                var isBest = score > bestScore;
                if (isBest)
                {
                    bestScore = score;
                    bestEpoch = epoch;
                    best?.Dispose();
                    best = new StateSnapshot(runner.Checkpointed);
                }

                var metrics = new EpochMetrics(epoch, stats.Loss, validation, stats.Samples / seconds, seconds,
                    stats.LearningRate, stats.TrainableParameters, isBest);
                history.Add(metrics);
                progress?.Report(metrics);
                logger.LogInformation(
                    "{Strategy} epoch {Epoch}: train loss {Loss:F4}, val macro-F1 {F1:F4}, acc {Acc:F4}, {Rate:F0} samples/s",
                    spec.Strategy, epoch, stats.Loss, validation.MacroF1, validation.Accuracy, metrics.SamplesPerSecond);

                if (checkpointDirectory is not null)
                    new TrainingCheckpoint(epoch, bestEpoch, bestScore, history).Save(checkpointDirectory, dir =>
                    {
                        using (var current = new StateSnapshot(runner.Checkpointed)) current.Save(TrainingCheckpoint.CurrentFile(dir));
                        best!.Save(TrainingCheckpoint.BestFile(dir));
                        runner.SaveOptimizer(TrainingCheckpoint.OptimizerFile(dir));
                    });
                if (StopEarly(spec, epoch, bestEpoch))
                    logger.LogInformation("Early stop after epoch {Epoch}; best was {Best}", epoch, bestEpoch);
            }

            best?.RestoreInto(runner.Checkpointed);
            var test = runner.Evaluate(SplitKind.Test);
            runner.Finish();
            // Per-item predictions let anyone pair runs item by item (paired bootstrap) or recompute the verdict elsewhere.
            model.eval();
            var predictions = Evaluator.Predict(model.forward, data.Test, device);
            return new TrainingResult(spec, history, bestEpoch, test, time.GetElapsedTime(started).TotalSeconds, device.ToString(),
                predictions, [.. data.Test.Labels.data<long>().ToArray().Select(l => (int)l)]);
        }
        finally
        {
            best?.Dispose();
        }
    }

    private static bool StopEarly(TrainingJobSpec spec, int completedEpoch, int bestEpoch) =>
        spec.Patience > 0 && completedEpoch > 0 && completedEpoch - bestEpoch >= spec.Patience;
}
