using static TorchSharp.torch;
using TransferHub.Shared.Training;

namespace TransferHub.Training.Strategies;

// One strategy's way of running an epoch; the trainer owns the loop, early stopping and metrics.
internal interface IEpochRunner : IDisposable
{
    // The module whose state is the checkpoint (the whole model, or only the head).
    nn.Module Checkpointed { get; }

    // onStep gets (global step, batch loss) after every optimizer step, for live per-step curves.
    EpochStats TrainEpoch(int epoch, Action<long, double>? onStep, CancellationToken ct);

    ClassificationMetrics Evaluate(SplitKind split);

    // Called once after the best state is restored (e.g. to fold feature scaling into the head).
    void Finish();

    // Optimizer state for resume.
    void SaveOptimizer(string path);

    // Continue after completedEpochs: LR schedule position, stage and optimizer state.
    void Resume(int completedEpochs, string optimizerPath);
}

internal enum SplitKind { Validation, Test }

internal readonly record struct EpochStats(double Loss, long Samples, double LearningRate, long TrainableParameters);
