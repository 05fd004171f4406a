using Microsoft.Extensions.Logging;
using TorchSharp;
using TransferHub.Shared.Training;
using TransferHub.Training.Data;
using TransferHub.Training.Models;
using TransferHub.Training.Runtime;
using static TorchSharp.torch;

namespace TransferHub.Training.Strategies;

// The epoch loop shared by every strategy: train, validate (every epoch, or every few on a step budget), keep the best
// checkpoint by validation macro-F1, stop early, restore the best state, evaluate the test split once and judge whether the
// run converged. Deterministic on CPU for a given seed; with a checkpoint directory it saves at every validation and
// resumes from the last complete one it finds there.
public sealed class Trainer(ILogger<Trainer> logger, TimeProvider time)
{
    public TrainingResult Fit(
        ClassifierModel model, DataSplits data, TrainingJobSpec spec,
        IProgress<EpochMetrics>? progress = null, CancellationToken ct = default, string? checkpointDirectory = null,
        IProgress<StepLoss>? steps = null)
    {
        TorchRuntime.EnsureLoaded();
        LibTorchContext.SetFlushDenormal();
        var device = TorchRuntime.ResolveDevice(spec.Device);
        // oneDNN's backward kills the process with SIGFPE for some networks on some CPUs (ResNet-50 here: bench/Stress); those
        // train on libtorch's own kernels. The switch is process-wide and stays off once turned off: turned back on by a
        // run starting beside one still training (in-process runs, tests), it crashed the process mid-step in CI.
        if (device.type == DeviceType.CPU && model.AvoidsOneDnnTraining) LibTorchContext.SetOneDnn(false);
        var started = time.GetTimestamp();
        // The same budget rule for every arm: a step budget becomes epochs on this training split; the batch never exceeds it.
        var plan = StepBudget.Plan(spec, (int)data.Train.Count);
        spec = spec with
        {
            BatchSize = plan.BatchSize, Epochs = plan.Epochs, Patience = plan.PatienceEpochs,
            // On a step budget, warm-up is 5 % of it (one epoch may be one step).
            WarmupEpochs = spec.Steps is null ? spec.WarmupEpochs : Math.Max(1, (int)Math.Round(plan.Epochs * 0.05)),
        };
        GlobalRandom.Seed(spec.Seed);
        var generator = new Generator((ulong)spec.Seed);
        model.to(device);
        // Every tensor created from here on (by us or inside TorchSharp) is owned by this scope until the run ends, so the GC
        // cannot finalize a temporary while libtorch still uses it — that race corrupted tensors (same seed, other metrics) and
        // crashed the process. The model's own parameters were created (and moved to the device) before, so they outlive it.
        using var lifetime = NewDisposeScope();

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
        long stepsDone = (long)(firstEpoch - 1) * plan.StepsPerEpoch;
        var stoppedEarly = false;
        try
        {
            // A window of epochs between validation passes: on small data a step budget is hundreds of one-batch epochs,
            // and validating and checkpointing after each would cost more than the training.
            var window = new EpochWindow();
            for (var epoch = firstEpoch; epoch <= spec.Epochs; epoch++)
            {
                // Per-epoch seeds make shuffling, augmentation and dropout independent of how we got here (resume).
                generator.manual_seed(spec.Seed * 100_003L + epoch);
                GlobalRandom.Seed(spec.Seed * 100_003L + epoch);
                var epochStart = time.GetTimestamp();
                var current = epoch;
                var stats = runner.TrainEpoch(epoch, steps is null ? null : (step, loss) => steps.Report(new StepLoss(current, step, loss)), ct);
                if (!double.IsFinite(stats.Loss))
                {
                    throw new TrainingDivergedException(epoch, stats.Loss, stats.LearningRate);
                }
                stepsDone += plan.StepsPerEpoch;
                window.Add(stats, Math.Max(1e-9, time.GetElapsedTime(epochStart).TotalSeconds), plan.StepsPerEpoch);
                if (epoch % plan.EvaluateEveryEpochs != 0 && epoch != spec.Epochs) continue;

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

                var metrics = new EpochMetrics(epoch, window.Loss, validation, window.SamplesPerSecond, window.EpochSeconds,
                    stats.LearningRate, stats.TrainableParameters, isBest, stepsDone, window.StepSeconds);
                window = new EpochWindow();
                history.Add(metrics);
                progress?.Report(metrics);
                logger.LogInformation(
                    "{Strategy} epoch {Epoch} (step {Step}): train loss {Loss:F4}, val macro-F1 {F1:F4}, acc {Acc:F4}, {Rate:F0} samples/s",
                    spec.Strategy, epoch, stepsDone, metrics.TrainLoss, validation.MacroF1, validation.Accuracy, metrics.SamplesPerSecond);

                if (checkpointDirectory is not null)
                    new TrainingCheckpoint(epoch, bestEpoch, bestScore, history).Save(checkpointDirectory, dir =>
                    {
                        using (var snapshot = new StateSnapshot(runner.Checkpointed)) snapshot.Save(TrainingCheckpoint.CurrentFile(dir));
                        best!.Save(TrainingCheckpoint.BestFile(dir));
                        runner.SaveOptimizer(TrainingCheckpoint.OptimizerFile(dir));
                    });
                if (epoch < spec.Epochs && StopEarly(plan, epoch, bestEpoch))
                {
                    stoppedEarly = true;
                    logger.LogInformation("Early stop after epoch {Epoch}; best was {Best}", epoch, bestEpoch);
                    break;
                }
            }

            best?.RestoreInto(runner.Checkpointed);
            runner.Finish();
            // One pass over the test set gives both the metrics and the per-item predictions (to pair runs item by item).
            model.eval();
            var (test, predictions) = Evaluator.EvaluateWithPredictions(model.forward, data.Test, device);
            var convergence = ConvergenceCheck.Judge(history, stepsDone, stoppedEarly);
            logger.LogInformation("{Strategy}: {Steps} of {Budget} steps; {Convergence}", spec.Strategy, stepsDone, plan.Steps, convergence.Reason);
            return new TrainingResult(spec, history, bestEpoch, test, time.GetElapsedTime(started).TotalSeconds, device.ToString(),
                predictions, [.. data.Test.Labels.data<long>().ToArray().Select(l => (int)l)], BudgetSteps: plan.Steps, StepsDone: stepsDone,
                Convergence: convergence);
        }
        finally
        {
            best?.Dispose();
        }
    }

    private static bool StopEarly(BudgetPlan plan, int completedEpoch, int bestEpoch) =>
        plan.PatienceEpochs > 0 && completedEpoch >= plan.MinimumEpochs && completedEpoch - bestEpoch >= plan.PatienceEpochs;

    // Training statistics summed over the epochs between two validation passes.
    private sealed class EpochWindow
    {
        private double lossSum, seconds;
        private long samples, stepCount;
        private int epochs;

        public void Add(EpochStats stats, double epochSeconds, int stepsInEpoch)
        {
            lossSum += stats.Loss * stats.Samples;
            samples += stats.Samples;
            seconds += epochSeconds;
            stepCount += stepsInEpoch;
            epochs++;
        }

        public double Loss => samples == 0 ? 0 : lossSum / samples;
        public double SamplesPerSecond => samples / Math.Max(1e-9, seconds);
        public double EpochSeconds => seconds / Math.Max(1, epochs);
        public double StepSeconds => seconds / Math.Max(1, stepCount);
    }
}
