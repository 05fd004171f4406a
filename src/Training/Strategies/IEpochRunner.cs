using static TorchSharp.torch;
using TransferHub.Shared.Training;

namespace TransferHub.Training.Strategies;

/// <summary>One strategy's way of running an epoch; the trainer owns the loop, early stopping and metrics.</summary>
internal interface IEpochRunner : IDisposable
{
    /// <summary>The module whose state is the checkpoint (the whole model, or only the head).</summary>
    nn.Module Checkpointed { get; }

    EpochStats TrainEpoch(int epoch, CancellationToken ct);

    ClassificationMetrics Evaluate(SplitKind split);

    /// <summary>Called once after the best state is restored (e.g. to fold feature scaling into the head).</summary>
    void Finish();

    /// <summary>Optimizer state for resume.</summary>
    void SaveOptimizer(string path);

    /// <summary>Continue after <paramref name="completedEpochs"/>: LR schedule position, stage and optimizer state.</summary>
    void Resume(int completedEpochs, string optimizerPath);
}

internal enum SplitKind { Validation, Test }

internal readonly record struct EpochStats(double Loss, long Samples, double LearningRate, long TrainableParameters);
