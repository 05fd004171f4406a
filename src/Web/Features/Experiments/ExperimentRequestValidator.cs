using TransferHub.Shared.Experiments;
using TransferHub.Web.Infrastructure;

namespace TransferHub.Web.Features.Experiments;

/// <summary>The limits of an experiment request that need no database: each refusal names the field and the range.</summary>
public static class ExperimentRequestValidator
{
    public const int MaxSeeds = 10, MaxAutomaticSeeds = 20, MinImageSize = 8, MaxImageSize = 512, MaxBatchSize = 4096, MaxLabelFractions = 8;
    public const int MinSteps = 10, MaxSteps = 100_000, MaxEpochs = 2000;
    public const double MaxLearningRate = 10, MaxMinimumGain = 0.5;

    /// <summary>Checks the request's settings, with the defaults already filled in.</summary>
    /// <exception cref="ValidationFailedException">A setting is out of range.</exception>
    public static void Validate(CreateExperimentRequest request, int seeds, int imageSize, int batchSize, double learningRate, double minimumGain)
    {
        if (seeds is < 1 or > MaxSeeds || request.Epochs is < 1 or > MaxEpochs || imageSize is < MinImageSize or > MaxImageSize)
        {
            throw ValidationFailedException.For("seeds", $"Seeds 1–{MaxSeeds}, epochs 1–{MaxEpochs}, image size {MinImageSize}–{MaxImageSize}.");
        }
        if (request.MaxSeeds is { } most && (most < seeds || most > MaxAutomaticSeeds))
        {
            throw ValidationFailedException.For("maxSeeds", $"Seeds are added up to at least the {seeds} to start with and at most {MaxAutomaticSeeds}.");
        }
        if (request.Steps is < MinSteps or > MaxSteps)
        {
            throw ValidationFailedException.For("steps", $"The step budget is {MinSteps}–{MaxSteps} optimizer steps.");
        }
        if (request.Steps is not null && request.Epochs is not null)
        {
            throw ValidationFailedException.For("steps", "Give a step budget or a number of epochs, not both.");
        }
        if (!IsRate(learningRate))
        {
            throw ValidationFailedException.For("learningRate", $"The learning rate is above 0 and at most {MaxLearningRate} (e.g. 0.001).");
        }
        if (request.HeadLearningRate is { } head && !IsRate(head))
        {
            throw ValidationFailedException.For("headLearningRate", $"The head's learning rate is above 0 and at most {MaxLearningRate}.");
        }
        if (batchSize is < 1 or > MaxBatchSize)
        {
            throw ValidationFailedException.For("batchSize", $"The batch size is 1–{MaxBatchSize} (and never more than the training split).");
        }
        if (!double.IsFinite(minimumGain) || minimumGain is < 0 or > MaxMinimumGain)
        {
            throw ValidationFailedException.For("minimumGain", $"The smallest gain that matters is 0–{MaxMinimumGain} macro-F1 (e.g. 0.01).");
        }
        foreach (var o in (request.Arms ?? []).Select(a => a.Overrides).OfType<ArmOverrides>())
        {
            if (o.LearningRate is { } rate && !IsRate(rate) || o.HeadLearningRate is { } headRate && !IsRate(headRate)
                || o.Epochs is < 1 or > MaxEpochs || o.BatchSize is < 1 or > MaxBatchSize || o.Steps is < MinSteps or > MaxSteps)
            {
                throw ValidationFailedException.For("arms",
                    $"An arm's learning rates are in (0, {MaxLearningRate}], its epochs 1–{MaxEpochs}, its steps {MinSteps}–{MaxSteps}, its batch size 1–{MaxBatchSize}.");
            }
        }
    }

    /// <summary>The label fractions to train on (1 when none are given), distinct and ascending.</summary>
    public static List<double> LabelFractions(CreateExperimentRequest request)
    {
        var fractions = (request.LabelFractions is { Count: > 0 } given ? given : [1.0]).Distinct().Order().ToList();
        if (fractions.Count > MaxLabelFractions || fractions.Any(f => !double.IsFinite(f) || f is <= 0 or > 1))
        {
            throw ValidationFailedException.For("labelFractions", $"Up to {MaxLabelFractions} label fractions, each above 0 and at most 1 (e.g. 0.1, 0.25, 0.5, 1).");
        }
        return fractions;
    }

    private static bool IsRate(double rate) => double.IsFinite(rate) && rate is > 0 and <= MaxLearningRate;
}
