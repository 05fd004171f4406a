using Microsoft.Extensions.Logging.Abstractions;
using TransferHub.Shared.Training;
using TransferHub.Training.Data;
using TransferHub.Training.Models;
using TransferHub.Training.Runtime;
using TransferHub.Training.Strategies;
using TransferHub.Training.Weights;
using static TorchSharp.torch;

namespace TransferHub.Tests.Unit.Training;

/// <summary>Seeded model creation + source-weight loading + training, as the worker does it.</summary>
internal static class TrainingHarness
{
    public const string Architecture = "small-cnn-16";

    public static TrainingResult Run(TrainingJobSpec spec, DataSplits data, IReadOnlyDictionary<string, Tensor>? source = null)
    {
        using var model = CreateModel(spec, data.NumClasses, source);
        return new Trainer(NullLogger<Trainer>.Instance, TimeProvider.System).Fit(model, data, spec);
    }

    public static ClassifierModel CreateModel(TrainingJobSpec spec, int numClasses, IReadOnlyDictionary<string, Tensor>? source)
    {
        var model = GlobalRandom.Create(spec.Seed, () => ModelRegistry.Create(spec.Architecture, numClasses));
        if (source is not null) WeightLoader.LoadInto(model, source, includeHead: false);
        return model;
    }

    /// <summary>Train / validation / test splits generated independently (different seeds) for one task.</summary>
    public static DataSplits Task(SyntheticLabel label, int train, int validation, int test, int seed, float[][]? palette = null) =>
        new(SyntheticShapes.Generate(train, seed, label, palette: palette),
            SyntheticShapes.Generate(validation, seed + 1000, label, palette: palette),
            SyntheticShapes.Generate(test, seed + 2000, label, palette: palette));
}
