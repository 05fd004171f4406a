using System.Diagnostics;
using System.Text.Json;
using TorchSharp;
using Microsoft.Extensions.Logging.Abstractions;
using TransferHub.Shared.Training;
using TransferHub.Training.Data;
using TransferHub.Training.Models;
using TransferHub.Training.Runtime;
using TransferHub.Training.Strategies;
using static TorchSharp.torch;

namespace TransferHub.Training.Cli;

// bench: (1) bare training-step throughput (SGD, momentum 0.9, cross-entropy, fixed random batch — the same
// loop as bench/pytorch_bench.py) for the small CNN and ResNet-18; (2) feature-extraction vs fine-tune epoch time
// through the real trainer. One JSON object per line on stdout.
internal static class BenchCommand
{
    public const string Usage = "bench [--size 64] [--steps 30] [--repeats 3] [--threads N] [--models small-cnn,resnet18] [--batch N (default 64 small CNN, 32 ResNet-18)] [--epoch-samples 512 (0 skips the epoch-time part)] [--device auto] [--tf32 (CUDA: TF32 matrix products and convolutions)]";

    public static int Run(CliArguments args, CancellationToken ct)
    {
        var size = args.Int("size", 64);
        var steps = args.Int("steps", 30);
        var repeats = args.Int("repeats", 3);
        var threads = args.Int("threads", 0);
        var models = (args.Get("models") ?? "small-cnn,resnet18").Split(',', StringSplitOptions.RemoveEmptyEntries).Where(m => m != "none");
        var batchOverride = args.Int("batch", 0);
        var epochSamples = args.Int("epoch-samples", 512);
        var device = TorchRuntime.ResolveDevice(args.Get("device"));
        var tf32 = args.Flag("tf32");
        args.EnsureAllUsed();
        if (device.type == DeviceType.CUDA)
        {
            // libtorch's defaults (as PyTorch's): TF32 off for matrix products, on for cuDNN convolutions.
            backends.cuda.matmul.allow_tf32 = tf32;
            backends.cudnn.allow_tf32 = tf32 || backends.cudnn.allow_tf32;
        }
        if (threads > 0) set_num_threads(threads);

        foreach (var name in models)
        {
            var batch = batchOverride > 0 ? batchOverride : name == "small-cnn" ? 64 : 32;
            var rates = Enumerable.Range(0, repeats).Select(_ => Throughput(name, batch, size, steps, device, ct)).Order().ToList();
            Emit(new { bench = "train-throughput", framework = "torchsharp", model = name, batch, size, steps, threads = get_num_threads(),
                       device = device.ToString(), tf32, samplesPerSec = rates[rates.Count / 2], runs = rates });
        }

        if (epochSamples <= 0) return 0;
        var (frozen, tuned, cache) = EpochTimes(size, epochSamples, device, ct);
        Emit(new { bench = "epoch-time", framework = "torchsharp", model = "resnet18", size, samples = epochSamples,
                   featureExtractionEpochSec = frozen, fineTuneEpochSec = tuned, featureCacheSec = cache, ratio = tuned / frozen });
        return 0;
    }

    private static double Throughput(string name, int batch, int size, int steps, Device device, CancellationToken ct)
    {
        using var model = GlobalRandom.Create(0, () => ModelRegistry.Create(name, 10));
        model.to(device).train();
        using var inputs = new Generator(0);
        using var x = randn([batch, 3, size, size], generator: inputs).to(device);
        using var y = randint(0, 10, [batch], generator: inputs).to(device);
        using var optimizer = optim.SGD(model.parameters(), 0.01, momentum: 0.9);
        void Step()
        {
            using var scope = NewDisposeScope();
            optimizer.zero_grad();
            nn.functional.cross_entropy(model.forward(x), y).backward();
            optimizer.step();
        }
        for (var i = 0; i < 3; i++) Step();
        if (device.type == DeviceType.CUDA) cuda.synchronize();
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < steps; i++)
        {
            ct.ThrowIfCancellationRequested();
            Step();
        }
        if (device.type == DeviceType.CUDA) cuda.synchronize();
        return batch * steps / clock.Elapsed.TotalSeconds;
    }

    private static (double Frozen, double Tuned, double Cache) EpochTimes(int size, int samples, Device device, CancellationToken ct)
    {
        using var data = new DataSplits(
            SyntheticShapes.Generate(samples, 1, SyntheticLabel.Shape, size: size),
            SyntheticShapes.Generate(64, 2, SyntheticLabel.Shape, size: size),
            SyntheticShapes.Generate(64, 3, SyntheticLabel.Shape, size: size));
        var trainer = new Trainer(NullLogger<Trainer>.Instance, TimeProvider.System);
        double Median(TrainingResult r) => r.Epochs.Select(e => e.EpochSeconds).Order().ElementAt(r.Epochs.Count / 2);

        var spec = new TrainingJobSpec("resnet18", TrainingStrategy.FineTune, Epochs: 3, BatchSize: 32, Patience: 0, Device: device.ToString());
        using var tunedModel = GlobalRandom.Create(1, () => ModelRegistry.Create("resnet18", data.NumClasses));
        var tuned = trainer.Fit(tunedModel, data, spec, ct: ct);

        using var frozenModel = GlobalRandom.Create(1, () => ModelRegistry.Create("resnet18", data.NumClasses));
        var frozen = trainer.Fit(frozenModel, data, spec with { Strategy = TrainingStrategy.FeatureExtraction, Epochs = 10 }, ct: ct);
        // Everything in the frozen run that is not an epoch or a validation pass is the one-time feature extraction.
        var cache = frozen.TotalSeconds - frozen.Epochs.Sum(e => e.EpochSeconds);
        return (Median(frozen), Median(tuned), cache);
    }

    private static void Emit(object value) => Console.WriteLine(JsonSerializer.Serialize(value, CliJson.Options));
}
