using System.Globalization;
using System.Text.Json;
using TorchSharp;
using TransferHub.Training.Models;
using TransferHub.Training.Runtime;
using TransferHub.Training.Transferability;
using TransferHub.Training.Weights;

namespace TransferHub.Training.Cli;

/// <summary><c>score</c>: LogME (source features) and LEEP (source predictions) of one source model on a target training set.</summary>
internal static class ScoreCommand
{
    public const string Usage =
        "score --data <imagefolder|file.jsonl|synthetic:shapes[:N]> --weights source.safetensors [--arch small-cnn]\n" +
        "      [--source-classes N (default: from the file's metadata)] [--image-size 32] [--seed 1] [--device auto] [--cache-dir d]";

    public static int Run(CliArguments args)
    {
        var weights = args.Required("weights");
        var data = args.Required("data");
        var metadata = new Dictionary<string, string>();
        var tensors = ModelWeights.Read(weights, metadata);
        foreach (var t in tensors.Values) t.Dispose();
        var arch = args.Get("arch") ?? metadata.GetValueOrDefault(ModelWeights.ArchitectureKey) ?? "small-cnn";
        var sourceClasses = args.Get("source-classes") is { } n ? int.Parse(n, CultureInfo.InvariantCulture)
            : metadata.TryGetValue(ModelWeights.NumClassesKey, out var m) ? int.Parse(m, CultureInfo.InvariantCulture)
            : throw new CliException("--source-classes is required when the file has no num_classes metadata.");
        var imageSize = args.Int("image-size", 32);
        var seed = args.Int("seed", 1);
        var device = TorchRuntime.ResolveDevice(args.Get("device"));
        var cacheDir = args.Get("cache-dir") ?? TrainCommand.DefaultCacheDir();
        args.EnsureAllUsed();

        var (splits, _) = DatasetLoader.Load(data, null, null, imageSize, seed, cacheDir);
        using var __ = splits;
        using var model = ModelRegistry.Create(arch, sourceClasses);
        ModelWeights.Import(model, weights, includeHead: true);
        model.to(device);
        var scores = TransferabilityScorer.Score(model, splits.Train, device);
        Console.WriteLine(JsonSerializer.Serialize(new { source = weights, arch, target = data, n = splits.Train.Count, scores.LogMe, scores.Leep }, CliJson.Options));
        return 0;
    }
}
