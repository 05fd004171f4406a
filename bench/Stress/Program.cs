using System.Diagnostics;
using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
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

// Native-lifetime stress: training under a finalizer that runs all the time, so a native call whose managed argument
// only the finalizer can still reach (a temporary Scalar, a tensor outside every dispose scope) fails within seconds
// instead of once in a CI run. Each trial runs in a child process: a segfault ends the trial, not the benchmark.
//   optimizer: 2000 AdamW steps per trial, TorchSharp's optimizer (the reference) against ours.
//   training:  the trainer's real paths per trial — feature extraction with early stopping, fine-tune, progressive
//              unfreezing, a resume from checkpoint, weights export and import.
//   models:    training steps and an eval pass of each architecture in the registry, a trial per architecture.
//   flip:      a small CNN trains while another thread switches oneDNN on and off (not in the default modes).
// Usage: TransferHub.Bench.Stress [--trials 10] [--modes optimizer,training,models,flip]
if (args.Length > 0 && args[0] == "--child") return Child.Run(args[1]);

var trials = args.SkipWhile(a => a != "--trials").Skip(1).Select(int.Parse).FirstOrDefault(10);
var modes = (args.SkipWhile(a => a != "--modes").Skip(1).FirstOrDefault() ?? "optimizer,training,models").Split(',');
var resultsPath = Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", "results", $"{DateTime.UtcNow:yyyyMMddTHHmmZ}-stress.jsonl");
Directory.CreateDirectory(Path.GetDirectoryName(resultsPath)!);
await using var results = new StreamWriter(resultsPath);
var architectures = ModelRegistry.Names.Append("text-bert");
foreach (var trial in modes.SelectMany(m => m switch
{
    "optimizer" => ["optimizer-torch", "optimizer-ours"],
    "models" => architectures.Select(a => $"model:{a}"),
    _ => new[] { m },
}))
{
    var outcomes = new List<(int Code, double Seconds, string Last)>();
    for (var i = 0; i < trials; i++)
    {
        var started = Stopwatch.StartNew();
        var psi = new ProcessStartInfo(Environment.ProcessPath!, [typeof(Child).Assembly.Location, "--child", trial])
        { RedirectStandardError = true, RedirectStandardOutput = true };
        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        // The child's last line on stdout is "ok" or the error in one line; stderr has the stack.
        var last = (await stdout).Split('\n', StringSplitOptions.RemoveEmptyEntries).LastOrDefault() ?? stderr;
        outcomes.Add((process.ExitCode, started.Elapsed.TotalSeconds, last));
    }
    var failed = outcomes.Where(o => o.Code != 0).ToList();
    var line = JsonSerializer.Serialize(new
    {
        trial, trials, failed = failed.Count, exitCodes = failed.Select(f => f.Code).ToArray(),
        secondsPerTrial = Math.Round(outcomes.Average(o => o.Seconds), 1), firstFailure = failed.Select(f => f.Last).FirstOrDefault(),
    });
    Console.WriteLine(line);
    await results.WriteLineAsync(line);
    await results.FlushAsync(); // a killed benchmark keeps the trials it finished
}
Console.WriteLine($"results: {Path.GetFullPath(resultsPath)}");
return 0;

internal static class Child
{
    public static int Run(string trial)
    {
        TorchRuntime.EnsureLoaded();
        using var stop = new CancellationTokenSource();
        // STRESS_PRESSURE=0 runs a trial without the finalizer pressure: tells a race from a plain bug.
        var pressure = Environment.GetEnvironmentVariable("STRESS_PRESSURE") == "0" ? Task.FromResult(0) : FinalizerPressure.Start(stop.Token);
        try
        {
            if (trial == "training") Training();
            else if (trial == "flip") Flip();
            else if (trial.StartsWith("model:")) foreach (var name in trial["model:".Length..].Split('+')) Model(name);
            else Optimizer(useTorch: trial == "optimizer-torch");
            Console.WriteLine("ok");
            return 0;
        }
        catch (Exception e)
        {
            Console.Error.WriteLine(e);
            Console.WriteLine($"{e.GetType().Name}: {e.Message.Split('\n')[0]}");
            return 1;
        }
        finally
        {
            stop.Cancel();
            pressure.Wait();
        }
    }

    private static void Optimizer(bool useTorch)
    {
        random.manual_seed(1);
        using var model = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 3));
        using var theirs = useTorch ? optim.AdamW(model.parameters(), lr: 0.01, weight_decay: 0.01) : null;
        using var ours = useTorch ? null : new AdamWOptimizer([(model.parameters(), 0.01)], weightDecay: 0.01);
        for (var i = 0; i < 2000; i++)
        {
            using var scope = NewDisposeScope();
            var x = randn(32, 8);
            using var zero = 0.ToScalar(); // held: an implicit Scalar can be finalized mid-call
            var y = x[.., 0].gt(zero).to(ScalarType.Int64);
            theirs?.zero_grad();
            ours?.ZeroGrad();
            nn.functional.cross_entropy(model.forward(x), y).backward();
            theirs?.step();
            ours?.Step();
        }
    }

    private static void Model(string name)
    {
        random.manual_seed(1);
        using ClassifierModel model = name == "text-bert"
            ? new TextBert(new BertConfig(VocabSize: 500, HiddenSize: 32, Layers: 2, Heads: 4, IntermediateSize: 64, MaxPositions: 32), 4)
            : ModelRegistry.Create(name, 4);
        // As the trainer does; STRESS_ONEDNN=1 or 0 forces oneDNN on or off.
        LibTorchContext.SetOneDnn(Environment.GetEnvironmentVariable("STRESS_ONEDNN") switch { "1" => true, "0" => false, _ => !model.AvoidsOneDnnTraining });
        using var optimizer = new AdamWOptimizer([(model.parameters(), 1e-3)], weightDecay: 1e-4);
        using var labels = tensor(new long[] { 0, 1, 2, 3, 0, 1, 2, 3 });
        using var inputs = ModelRegistry.IsText(name) ? randint(1, 500, [8, 24]) : randn(8, 3, 64, 64);
        for (var i = 0; i < 20; i++)
        {
            using var scope = NewDisposeScope();
            model.train();
            optimizer.ZeroGrad();
            nn.functional.cross_entropy(model.forward(inputs), labels).backward();
            optimizer.Step();
            model.eval();
            using var noGrad = no_grad();
            model.forward(inputs).argmax(1).data<long>().ToArray();
        }
    }

    // A small CNN trains while another thread switches oneDNN on and off: is changing the switch beside a running
    // step safe?
    private static void Flip()
    {
        using var done = new CancellationTokenSource();
        var flipper = Task.Run(() =>
        {
            for (var on = false; !done.IsCancellationRequested; on = !on)
            {
                LibTorchContext.SetOneDnn(on);
                Thread.Sleep(1);
            }
        });
        try
        {
            random.manual_seed(1);
            using var model = ModelRegistry.Create("small-cnn-16", 4);
            using var optimizer = new AdamWOptimizer([(model.parameters(), 1e-3)], weightDecay: 1e-4);
            using var labels = tensor(new long[] { 0, 1, 2, 3, 0, 1, 2, 3 });
            using var inputs = randn(8, 3, 32, 32);
            for (var i = 0; i < 3000; i++)
            {
                using var scope = NewDisposeScope();
                optimizer.ZeroGrad();
                nn.functional.cross_entropy(model.forward(inputs), labels).backward();
                optimizer.Step();
            }
        }
        finally
        {
            done.Cancel();
            flipper.Wait();
        }
    }

    private static void Training()
    {
        var trainer = new Trainer(NullLogger<Trainer>.Instance, TimeProvider.System);
        var data = new DataSplits(SyntheticShapes.Generate(60, 1, SyntheticLabel.Shape), SyntheticShapes.Generate(40, 2, SyntheticLabel.Shape),
            SyntheticShapes.Generate(40, 3, SyntheticLabel.Shape));
        var folder = Directory.CreateTempSubdirectory("stress-").FullName;
        try
        {
            var sourcePath = Path.Combine(folder, "source.safetensors");
            using (var source = ModelRegistry.Create("small-cnn-16", data.NumClasses))
            {
                trainer.Fit(source, data, new TrainingJobSpec("small-cnn-16", TrainingStrategy.Baseline, Steps: 150, BatchSize: 16));
                ModelWeights.Export(source, "small-cnn-16", sourcePath);
            }
            foreach (var strategy in new[] { TrainingStrategy.FeatureExtraction, TrainingStrategy.FineTune, TrainingStrategy.ProgressiveUnfreeze })
            {
                using var model = ModelRegistry.Create("small-cnn-16", data.NumClasses);
                ModelWeights.Import(model, sourcePath, includeHead: false);
                // A short patience makes early stopping and the best-checkpoint restore happen in every trial.
                var spec = new TrainingJobSpec("small-cnn-16", strategy, Steps: 300, BatchSize: 16, PatienceSteps: 20, EvaluateEverySteps: 10);
                var checkpoints = Path.Combine(folder, strategy.ToString());
                using (var cancel = new CancellationTokenSource())
                {
                    var epochs = 0;
                    try
                    {
                        trainer.Fit(model, data, spec, new SynchronousProgress<EpochMetrics>(_ => { if (++epochs == 3) cancel.Cancel(); }), cancel.Token, checkpoints);
                    }
                    catch (OperationCanceledException)
                    {
                    }
                }
                using var resumed = ModelRegistry.Create("small-cnn-16", data.NumClasses);
                ModelWeights.Import(resumed, sourcePath, includeHead: false);
                trainer.Fit(resumed, data, spec, checkpointDirectory: checkpoints);
            }
        }
        finally
        {
            data.Dispose();
            Directory.Delete(folder, recursive: true);
        }
    }
}
