namespace TransferHub.Shared.Training;

/// <summary>One validation point of one run (every epoch, or every few epochs on a step budget), streamed as it finishes.</summary>
/// <param name="Epoch">1-based epoch number.</param>
/// <param name="TrainLoss">Mean training loss over the epoch.</param>
/// <param name="Validation">Metrics on the validation split.</param>
/// <param name="SamplesPerSecond">Training throughput of this epoch.</param>
/// <param name="EpochSeconds">Wall-clock time of the training part of the epoch.</param>
/// <param name="LearningRate">Largest learning rate in use at the end of the epoch.</param>
/// <param name="TrainableParameters">Parameters updated in this epoch (changes during progressive unfreeze).</param>
/// <param name="IsBest">Whether this epoch produced the kept (best) checkpoint.</param>
/// <param name="Steps">Optimizer steps taken so far in the run.</param>
/// <param name="StepSeconds">Mean training seconds per optimizer step since the previous validation (for run-time estimates).</param>
public sealed record EpochMetrics(
    int Epoch,
    double TrainLoss,
    ClassificationMetrics Validation,
    double SamplesPerSecond,
    double EpochSeconds,
    double LearningRate,
    long TrainableParameters,
    bool IsBest,
    long Steps = 0,
    double StepSeconds = 0);

/// <summary>One optimizer step's training loss (global step count within the run), for live per-step curves.</summary>
public sealed record StepLoss(int Epoch, long Step, double Loss);
