using System.Globalization;
using System.Text.Json;
using TorchSharp;
using TransferHub.Training.Models;
using TransferHub.Training.Runtime;
using TransferHub.Training.Transferability;
using TransferHub.Training.Weights;

namespace TransferHub.Training.Cli;

// score: LogME (source features) and LEEP (source predictions) of candidate source models on one target
// training set, best LogME first (LogME values are comparable only on the same target set).
internal static class ScoreCommand
{
    public const string Usage =
        "score --data <imagefolder|file.jsonl|synthetic:shapes[:N]> --weights a.safetensors[,b.safetensors…] [--arch small-cnn]\n" +
        "      [--source-classes N (default: from the file's metadata)] [--image-size 32] [--seed 1] [--device auto] [--cache-dir d]";

    public static int Run(CliArguments args)
    {
        var sources = args.Required("weights").Split(',', StringSplitOptions.RemoveEmptyEntries);
        var data = args.Required("data");
        var archOverride = args.Get("arch");
        var classesOverride = args.Get("source-classes");
        var imageSize = args.Int("image-size", 32);
        var seed = args.Int("seed", 1);
        var device = TorchRuntime.ResolveDevice(args.Get("device"));
        var cacheDir = args.Get("cache-dir") ?? TrainCommand.DefaultCacheDir();
        args.EnsureAllUsed();

        var results = sources.Select(weights =>
        {
            var metadata = SafeTensors.ReadMetadata(weights);
            var arch = archOverride ?? metadata.GetValueOrDefault(ModelWeights.ArchitectureKey) ?? "small-cnn";
            var classes = classesOverride is not null ? int.Parse(classesOverride, CultureInfo.InvariantCulture)
                : metadata.TryGetValue(ModelWeights.NumClassesKey, out var m) ? int.Parse(m, CultureInfo.InvariantCulture)
                : throw new CliException($"{weights}: --source-classes is required when the file has no num_classes metadata.");
            // Each source reads the data with its own tokenizer (text-bert's vocabulary); images come from the cache.
            var (splits, _) = DatasetLoader.Load(data, null, null, imageSize, seed, cacheDir, ModelRegistry.TokenizerFor(arch, metadata));
            using var __ = splits;
            using var model = ModelRegistry.Create(arch, classes, metadata);
            ModelWeights.Import(model, weights, includeHead: true);
            model.to(device);
            var scores = TransferabilityScorer.Score(model, splits.Train, device);
            return new { source = weights, arch, target = data, n = splits.Train.Count, scores.LogMe, scores.Leep };
        }).ToList();
        foreach (var r in results.OrderByDescending(r => r.LogMe))
            Console.WriteLine(JsonSerializer.Serialize(r, CliJson.Options));
        return 0;
    }
}
