using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using TransferHub.Shared.Training;
using TransferHub.Training.Models;
using TransferHub.Training.Runtime;
using TransferHub.Training.Strategies;
using TransferHub.Training.Weights;
using static TorchSharp.torch;

namespace TransferHub.Training.Cli;

// train: one run; writes metrics.jsonl (one epoch per line), model.safetensors and summary.json.
internal static class TrainCommand
{
    public const string Usage =
        "train --data <imagefolder|file.jsonl|synthetic:shapes[:N]> [--val <dir|jsonl>] [--test <dir|jsonl>] --out <dir>\n" +
        "      [--arch small-cnn|resnet18|…|text-cnn|text-bert] [--strategy baseline|feature-extraction|fine-tune|progressive-unfreeze] [--weights source.safetensors]\n" +
        "      [--steps N (a budget in optimizer steps: epochs follow from the data; or) --epochs 10] [--patience-steps N] [--batch 32] [--lr 1e-3] [--head-lr x] [--weight-decay 1e-4] [--warmup 1] [--patience 5]\n" +
        "      [--layer-decay 0.5] [--seed 1] [--image-size 32] [--device auto|cpu|cuda] [--cpu-threads N] [--augment] [--balance] [--cache-dir d]\n" +
        "      [--checkpoint-dir d (saves every epoch; rerunning the same command resumes from the last one)]\n" +
        "      [--shape-from bert.safetensors (text-bert baseline: the source's config and vocabulary, random values)]";

    public static int Run(CliArguments args, CancellationToken ct)
    {
        var arch = args.Get("arch") ?? "small-cnn";
        var strategy = ParseStrategy(args.Get("strategy") ?? "baseline");
        var spec = new TrainingJobSpec(arch, strategy,
            Seed: args.Int("seed", 1), Epochs: args.Int("epochs", 10), BatchSize: args.Int("batch", 32),
            LearningRate: args.Double("lr", 1e-3), HeadLearningRate: args.OptionalDouble("head-lr"),
            WeightDecay: args.Double("weight-decay", 1e-4), WarmupEpochs: args.Int("warmup", 1), Patience: args.Int("patience", 5),
            SourceWeights: args.Get("weights"), Device: args.Get("device") ?? "auto", Augment: args.Flag("augment"),
            LayerDecay: args.Double("layer-decay", 0.5), BalanceClasses: args.Flag("balance"), ShapeWeights: args.Get("shape-from"),
            Steps: args.Get("steps") is null ? null : args.Int("steps", 0), PatienceSteps: args.Get("patience-steps") is null ? null : args.Int("patience-steps", 0));
        var outDir = args.Required("out");
        var (data, validation, test) = (args.Required("data"), args.Get("val"), args.Get("test"));
        var imageSize = args.Int("image-size", 32);
        var cacheDir = args.Get("cache-dir") ?? DefaultCacheDir();
        var checkpointDir = args.Get("checkpoint-dir");
        var cpuThreads = args.Int("cpu-threads", 0);
        args.EnsureAllUsed();
        TorchRuntime.ConfigureCpuThreads(TorchRuntime.ResolveDevice(spec.Device), cpuThreads);
        if (strategy != TrainingStrategy.Baseline && spec.SourceWeights is null)
            throw new CliException($"--strategy {args.Get("strategy")} needs --weights (the source model).");

        var recipe = Worker.LocalTraining.RecipeFor(arch, spec.SourceWeights ?? spec.ShapeWeights, data);
        var (splits, classes) = DatasetLoader.Load(data, validation, test, imageSize, spec.Seed, cacheDir, ModelRegistry.TokenizerFor(arch, recipe));
        using var _ = splits;
        using var model = GlobalRandom.Create(spec.Seed, () => ModelRegistry.Create(arch, splits.NumClasses, recipe));
        if (strategy != TrainingStrategy.Baseline)
        {
            var unused = ModelWeights.Import(model, spec.SourceWeights!, includeHead: false);
            Console.Error.WriteLine($"Loaded source backbone from {spec.SourceWeights} ({unused.Count} tensors not used: {string.Join(", ", unused.Take(4))}).");
        }

        Directory.CreateDirectory(outDir);
        using var metrics = new StreamWriter(Path.Combine(outDir, "metrics.jsonl"));
        var progress = new SynchronousProgress<EpochMetrics>(m =>
        {
            metrics.WriteLine(JsonSerializer.Serialize(m, CliJson.Options));
            metrics.Flush();
            Console.WriteLine($"epoch {m.Epoch,3}  train loss {m.TrainLoss:F4}  val loss {m.Validation.Loss:F4}  " +
                              $"val acc {m.Validation.Accuracy:F4}  val macro-F1 {m.Validation.MacroF1:F4}  " +
                              $"{m.SamplesPerSecond,8:F0} samples/s{(m.IsBest ? "  *" : "")}");
        });

        var result = new Trainer(NullLogger<Trainer>.Instance, TimeProvider.System).Fit(model, splits, spec, progress, ct, checkpointDir);
        recipe["classes"] = JsonSerializer.Serialize(classes);
        recipe["strategy"] = JsonSerializer.Serialize(strategy, CliJson.Options).Trim('"');
        ModelWeights.Export(model, arch, Path.Combine(outDir, "model.safetensors"), recipe);
        File.WriteAllText(Path.Combine(outDir, "summary.json"), JsonSerializer.Serialize(new { classes, result }, CliJson.Indented));
        Console.WriteLine($"test: acc {result.Test.Accuracy:F4}  macro-F1 {result.Test.MacroF1:F4}  ECE {result.Test.ExpectedCalibrationError:F4}  " +
                          $"(best epoch {result.BestEpoch}, {result.TotalSeconds:F1} s on {result.Device}) → {outDir}");
        return 0;
    }

    public static TrainingStrategy ParseStrategy(string value) =>
        Enum.GetValues<TrainingStrategy>().FirstOrDefault(s =>
            string.Equals(JsonSerializer.Serialize(s, CliJson.Options).Trim('"'), value, StringComparison.OrdinalIgnoreCase)
            || string.Equals(s.ToString(), value, StringComparison.OrdinalIgnoreCase), (TrainingStrategy)(-1)) is var s && Enum.IsDefined(s)
            ? s
            : throw new CliException($"Unknown strategy '{value}'. Use baseline, feature-extraction, fine-tune or progressive-unfreeze.");

    public static string DefaultCacheDir() =>
        Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData), "transferhub", "cache");
}

// IProgress that runs the callback inline (Progress<T> would post to the thread pool and reorder lines).
internal sealed class SynchronousProgress<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}
