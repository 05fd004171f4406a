using System.Text.Json;
using Microsoft.Extensions.Logging;
using TorchSharp;
using TransferHub.Shared.Training;
using TransferHub.Training.Cli;
using TransferHub.Training.Data;
using TransferHub.Training.Models;
using TransferHub.Training.Models.Bert;
using TransferHub.Training.Runtime;
using TransferHub.Training.Strategies;
using TransferHub.Training.Weights;
using static TorchSharp.torch;

namespace TransferHub.Training.Worker;

/// <summary>The outcome of one run: the engine's result, the class order of the model's outputs, and where the model was written.</summary>
public sealed record LocalRunResult(TrainingResult Result, IReadOnlyList<string> Classes, string ModelPath);

/// <summary>
/// One training run on files a worker has laid out: an ImageFolder root with train/validation/test
/// folders, or train/validation/test .jsonl files. The same path as the CLI's <c>train</c>, for workers.
/// </summary>
public static class LocalTraining
{
    /// <param name="data">ImageFolder root holding train/, validation/, test/ — or the train .jsonl (validation.jsonl and test.jsonl beside it).</param>
    /// <param name="labelFraction">Share of the training labels to train on (stratified, seeded by the run's seed); validation and test stay whole.</param>
    public static LocalRunResult Run(string data, TrainingJobSpec spec, int imageSize, string outDir, string cacheDir,
        ILogger<Trainer> logger, IProgress<EpochMetrics>? progress, string? checkpointDir, CancellationToken ct, double labelFraction = 1,
        IProgress<StepLoss>? steps = null)
    {
        // Every tensor the run creates belongs to this scope until the run ends. A temporary that nothing else references
        // (an intermediate result passed straight into the next native call) can otherwise be finalized by the GC while
        // libtorch still uses it: a use-after-free that crashed the web process ("segfault … in libtorch_cpu.so") under load.
        using var lifetime = NewDisposeScope();
        var text = data.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase);
        var folder = Path.GetDirectoryName(data)!;
        var recipe = RecipeFor(spec.Architecture, spec.SourceWeights ?? spec.ShapeWeights, data);
        var (splits, classes) = text
            ? DatasetLoader.Load(data, Existing(Path.Combine(folder, "validation.jsonl")), Existing(Path.Combine(folder, "test.jsonl")), imageSize, spec.Seed, cacheDir,
                ModelRegistry.TokenizerFor(spec.Architecture, recipe))
            : DatasetLoader.Load(data, null, null, imageSize, spec.Seed, cacheDir);
        LearningRateSearch? search = null;
        if (spec.FindLearningRate)
        {
            search = FindLearningRate(splits, spec, imageSize, labelFraction, recipe, cacheDir, logger, ct);
            spec = RateSearches.Apply(spec, search);
        }
        if (labelFraction < 1)
        {
            var fewer = LabelFraction.Take(splits.Train, labelFraction, spec.Seed);
            splits.Train.Dispose();
            splits = splits with { Train = fewer };
        }
        using var _ = splits;
        using var model = GlobalRandom.Create(spec.Seed, () => ModelRegistry.Create(spec.Architecture, splits.NumClasses, recipe));
        if (spec.SourceWeights is not null)
        {
            ModelWeights.Import(model, spec.SourceWeights, includeHead: false);
        }
        else if (spec.Strategy is not (TrainingStrategy.Baseline or TrainingStrategy.FeatureExtraction))
        {
            // Feature extraction without a source is the frozen-random control: random backbone, frozen, new head.
            throw new ArgumentException($"The {spec.Strategy} arm needs source weights.");
        }
        var result = new Trainer(logger, TimeProvider.System).Fit(model, splits, spec, progress, ct, checkpointDir, steps) with { RateSearch = search };
        Directory.CreateDirectory(outDir);
        var modelPath = Path.Combine(outDir, "model.safetensors");
        recipe["classes"] = JsonSerializer.Serialize(classes);
        recipe["strategy"] = spec.Strategy.ToString();
        ModelWeights.Export(model, spec.Architecture, modelPath, recipe);
        return new LocalRunResult(result with { Classes = classes, TestItems = TestItems(data, text, classes, result.TestPredictions?.Count) }, classes, modelPath);
    }

    /// <summary>The test items' names in the test split's order (file names without extension, or JSONL ids), when the data
    /// was laid out with its own test split and they match the predictions one to one.</summary>
    private static IReadOnlyList<string>? TestItems(string data, bool text, IReadOnlyList<string> classes, int? predictions)
    {
        var test = text ? Path.Combine(Path.GetDirectoryName(data)!, "test.jsonl") : Path.Combine(data, "test");
        IReadOnlyList<string>? names = text
            ? File.Exists(test) ? JsonlText.Ids(test) : null
            : Directory.Exists(test) ? [.. ImageFolder.Files(test, classes).Select(f => Path.GetFileNameWithoutExtension(f))] : null;
        return names is not null && names.Count == predictions ? names : null;
    }

    /// <summary>
    /// LogME on the source model's features and LEEP on its predictions, for the training split of data laid
    /// out as for <see cref="Run"/>: seconds of work, no training.
    /// </summary>
    public static TransferabilityScores Score(string data, string sourceWeights, int imageSize, string cacheDir)
    {
        var metadata = SafeTensors.ReadMetadata(sourceWeights);
        var architecture = metadata.GetValueOrDefault(ModelWeights.ArchitectureKey) ?? throw new ArgumentException("The source model names no architecture.");
        var classes = int.Parse(metadata[ModelWeights.NumClassesKey], System.Globalization.CultureInfo.InvariantCulture);
        using var lifetime = NewDisposeScope(); // see Run
        var (splits, _) = DatasetLoader.Load(data, null, null, imageSize, 1, cacheDir, ModelRegistry.TokenizerFor(architecture, metadata));
        using var _ = splits;
        using var model = ModelRegistry.Create(architecture, classes, metadata);
        ModelWeights.Import(model, sourceWeights, includeHead: true);
        var device = Runtime.TorchRuntime.ResolveDevice("auto");
        model.to(device);
        return Transferability.TransferabilityScorer.Score(model, splits.Train, device);
    }

    /// <summary>
    /// The metadata that shapes a run's model and tokenizer: for text-bert its source's config and vocabulary, or
    /// ones built from the training texts; nothing for other architectures. Written into the run's model file.
    /// </summary>
    internal static Dictionary<string, string> RecipeFor(string architecture, string? sourceWeights, string data)
    {
        if (BertRecipe.Applies(architecture) && data.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase))
        {
            return BertRecipe.ForRun(sourceWeights, data).ToMetadata();
        }
        if (Models.Onnx.OnnxGraphSpec.Applies(architecture))
        {
            // An imported graph's shape is its source's: the baseline is that graph from scratch.
            var metadata = sourceWeights is null ? null : SafeTensors.ReadMetadata(sourceWeights);
            return metadata?.GetValueOrDefault(Models.Onnx.OnnxGraphSpec.MetadataKey) is { } graph
                ? new Dictionary<string, string> { [Models.Onnx.OnnxGraphSpec.MetadataKey] = graph }
                : throw new ArgumentException("An onnx-graph run needs its imported source (the graph comes with it).");
        }
        return [];
    }

    /// <summary>Names of the architectures a run may use.</summary>
    public static IReadOnlyCollection<string> Architectures => ModelRegistry.Names;

    public static bool IsTextArchitecture(string name) => ModelRegistry.IsText(name);

    private static string? Existing(string path) => File.Exists(path) ? path : null;

    /// <summary>The arm's learning-rate sweep, once per dataset version: on models of seed 0 and the label share drawn with seed 0, so
    /// every seed of the arm (on any worker) gets the same rate; kept in the version's cache folder.</summary>
    private static LearningRateSearch FindLearningRate(DataSplits splits, TrainingJobSpec spec, int imageSize, double labelFraction,
        Dictionary<string, string> recipe, string cacheDir, ILogger<Trainer> logger, CancellationToken ct) =>
        RateSearches.GetOrRun(cacheDir, spec, imageSize, labelFraction, () =>
        {
            using var scope = NewDisposeScope();
            var probeSplits = labelFraction < 1 ? splits with { Train = LabelFraction.Take(splits.Train, labelFraction, 0) } : splits;
            var search = LearningRateSweep.Run(() =>
            {
                var model = GlobalRandom.Create(0, () => ModelRegistry.Create(spec.Architecture, splits.NumClasses, recipe));
                if (spec.SourceWeights is not null) ModelWeights.Import(model, spec.SourceWeights, includeHead: false);
                return model;
            }, probeSplits, spec with { Seed = 0 }, new Trainer(logger, TimeProvider.System), ct);
            logger.LogInformation("{Strategy}: {Reason}", spec.Strategy, search.Reason);
            return search;
        });
}
