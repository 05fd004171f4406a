namespace TransferHub.Shared.Training;

/// <summary>One epoch of one run, streamed as it finishes.</summary>
/// <param name="Epoch">1-based epoch number.</param>
/// <param name="TrainLoss">Mean training loss over the epoch.</param>
/// <param name="Validation">Metrics on the validation split.</param>
/// <param name="SamplesPerSecond">Training throughput of this epoch.</param>
/// <param name="EpochSeconds">Wall-clock time of the training part of the epoch.</param>
/// <param name="LearningRate">Largest learning rate in use at the end of the epoch.</param>
/// <param name="TrainableParameters">Parameters updated in this epoch (changes during progressive unfreeze).</param>
/// <param name="IsBest">Whether this epoch produced the kept (best) checkpoint.</param>
public sealed record EpochMetrics(
    int Epoch,
    double TrainLoss,
    ClassificationMetrics Validation,
    double SamplesPerSecond,
    double EpochSeconds,
    double LearningRate,
    long TrainableParameters,
    bool IsBest);

/// <summary>One optimizer step's training loss (global step count within the run), for live per-step curves.</summary>
public sealed record StepLoss(int Epoch, long Step, double Loss);
