using Microsoft.Extensions.Logging;
using TorchSharp;
using TransferHub.Shared.Training;
using TransferHub.Training.Data;
using TransferHub.Training.Models;
using TransferHub.Training.Runtime;
using static TorchSharp.torch;

namespace TransferHub.Training.Strategies;

/// <summary>
/// The epoch loop shared by every strategy: train, validate, keep the best checkpoint by validation macro-F1,
/// stop early, restore the best state and evaluate the test split. Deterministic on CPU for a given seed.
/// </summary>
public sealed class Trainer(ILogger<Trainer> logger, TimeProvider time)
{
    public TrainingResult Fit(
        ClassifierModel model, DataSplits data, TrainingJobSpec spec,
        IProgress<EpochMetrics>? progress = null, CancellationToken ct = default)
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
        try
        {
            for (var epoch = 1; epoch <= spec.Epochs; epoch++)
            {
                var epochStart = time.GetTimestamp();
                var stats = runner.TrainEpoch(epoch, ct);
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

                if (spec.Patience > 0 && epoch - bestEpoch >= spec.Patience)
                {
                    logger.LogInformation("Early stop after epoch {Epoch}; best was {Best}", epoch, bestEpoch);
                    break;
                }
            }

            best?.RestoreInto(runner.Checkpointed);
            var test = runner.Evaluate(SplitKind.Test);
            runner.Finish();
            return new TrainingResult(spec, history, bestEpoch, test, time.GetElapsedTime(started).TotalSeconds, device.ToString());
        }
        finally
        {
            best?.Dispose();
        }
    }
}
