// Verdicts benchmark: are the experiment's verdicts right at its defaults, on real data it was not tuned on? Fashion-MNIST
// through the real app (in-process worker, the experiment API's defaults): a small CNN source trained on classes 0-4 and
// one trained on the same images with shuffled labels; targets of classes 5-9 with 5/10/20 labels per class (as many for
// validation, 200 per class as the test split); arms: the source frozen (feature extraction) and fine-tuned, the
// frozen-random control, the shuffled-label source frozen and an in-domain source (classes 5-9, other images) frozen, over 3
// seeds; and a long-budget baseline (2 000 steps) as the reference the default budget should reach. With --before, the same experiments again with
// the old default (10 epochs) for the wall-time comparison; with --find-lr, again with each arm's learning rate chosen by the
// sweep (findLearningRate). One JSON line per experiment under bench/results, and the
// tables for docs/benchmarks.md on stdout.
using System.IO.Compression;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using TransferHub.Bench;
using TransferHub.Bench.Labeling;
using static TransferHub.Bench.ExperimentBench;

const string Token = "thp_bench-bootstrap-token-0123456789abcdef";
var labels = Option("--labels", "5,10,20").Split(',').Select(int.Parse).ToList();
var seeds = int.Parse(Option("--seeds", "3"));
var before = args.Contains("--before");
var findRate = args.Contains("--find-lr");
var folder = Option("--fmnist", "/usr/share/datasets/fashion-mnist");
var (trainX, trainY) = ReadFashionMnist(folder, "train");
var (testX, testY) = ReadFashionMnist(folder, "t10k");
var results = Path.Combine(Root(), "bench", "results", $"{DateTime.UtcNow:yyyyMMdd'T'HHmm'Z'}-verdicts.jsonl");

await using var app = await BenchApp.StartAsync(Token);
using var api = new HttpClient { BaseAddress = new Uri(app.BaseUrl), Timeout = TimeSpan.FromMinutes(10) };
api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token);
var project = (await BenchApp.PostAsync(api, "/api/projects", new { name = "verdicts bench" })).GetProperty("id").GetString()!;

// Sources: 200 images per class of classes 0-4; the shuffled one sees the same images with their labels permuted.
var sourceItems = Enumerable.Range(0, trainY.Length).Where(i => trainY[i] < 5).GroupBy(i => trainY[i]).SelectMany(g => g.Take(200)).ToList();
var shuffled = sourceItems.Select(i => trainY[i]).ToArray();
new Random(7).Shuffle(shuffled);
var source = await SourceRunAsync("source (classes 0-4)", sourceItems.Select(i => (trainX[i], trainY[i])).ToList());
var noise = await SourceRunAsync("shuffled-label source", sourceItems.Select((i, k) => (trainX[i], shuffled[k])).ToList());
// In-domain: the target's own classes, from training images the targets below never use (they take images from 1 000 on).
var inDomain = await SourceRunAsync("in-domain source (classes 5-9)",
    Enumerable.Range(0, trainY.Length).Where(i => trainY[i] >= 5).GroupBy(i => trainY[i]).SelectMany(g => g.Take(200)).Select(i => (trainX[i], trainY[i])).ToList());
Console.WriteLine($"| source | test macro-F1 |\n|---|---|\n| classes 0-4 | {source.F1:0.000} |\n| shuffled labels | {noise.F1:0.000} |\n| classes 5-9 (in-domain) | {inDomain.F1:0.000} |\n");

foreach (var perClass in labels)
{
    // k train + k validation from the training set, 200 test images per class from the test set (the splitter keeps the counts).
    var items = new List<(byte[] Pixels, int Label)>();
    for (var c = 5; c < 10; c++)
    {
        items.AddRange(Enumerable.Range(0, trainY.Length).Where(i => trainY[i] == c).Skip(1000).Take(2 * perClass).Select(i => (trainX[i], c)));
        items.AddRange(Enumerable.Range(0, testY.Length).Where(i => testY[i] == c).Take(200).Select(i => (testX[i], c)));
    }
    var n = 2.0 * perClass + 200;
    var version = await VersionAsync($"target {perClass} per class", items, perClass / n, 200 / n);
    var variants = new List<(bool Old, bool FindRate)> { (false, false) };
    if (before) variants.Add((true, false));
    if (findRate) variants.Add((false, true));
    foreach (var (old, sweep) in variants)
    {
        var arms = new object[]
        {
            new { name = "source · frozen", strategy = "FeatureExtraction", sourceRunId = source.RunId },
            new { name = "source · fine-tune", strategy = "FineTune", sourceRunId = source.RunId },
            new { name = "frozen-random", strategy = "FeatureExtraction" },
            new { name = "shuffled source · frozen", strategy = "FeatureExtraction", sourceRunId = noise.RunId },
            new { name = "in-domain source · frozen", strategy = "FeatureExtraction", sourceRunId = inDomain.RunId },
        };
        var started = DateTime.UtcNow;
        var experiment = await RunAsync(new
        {
            name = $"{perClass}/class{(old ? " · old default" : sweep ? " · lr sweep" : "")}", datasetVersionId = version, architecture = "small-cnn", arms, seeds,
            imageSize = 28, epochs = old ? 10 : (int?)null, findLearningRate = sweep,
        });
        var wall = (DateTime.UtcNow - started).TotalSeconds;
        Report(perClass, old, experiment, wall, sweep);
    }
    var started2 = DateTime.UtcNow;
    var longRun = await RunAsync(new { name = $"{perClass}/class · long baseline", datasetVersionId = version, architecture = "small-cnn", seeds, imageSize = 28, steps = 2000 });
    Report(perClass, false, longRun, (DateTime.UtcNow - started2).TotalSeconds);
}
Console.WriteLine($"raw: {results}");

void Report(int perClass, bool old, JsonElement experiment, double wall, bool sweep = false)
{
    var runs = experiment.GetProperty("runs").EnumerateArray().ToList();
    Console.WriteLine($"### {perClass} labels per class{(old ? " — old default (10 epochs)" : sweep ? " — defaults + learning-rate sweep" : " — defaults")}: {wall:0} s wall, {experiment.GetProperty("budget")}\n");
    Console.WriteLine("| arm | learning rate | test macro-F1 | difference (95 % CI) | verdict | why |\n|---|---|---|---|---|---|");
    foreach (var r in experiment.GetProperty("results").EnumerateArray())
    {
        var rate = runs.First(run => run.GetProperty("arm").GetString() == r.GetProperty("arm").GetString());
        Console.WriteLine($"| {r.GetProperty("arm")} | {Num(rate, "learningRate", "G2")} | {Num(r, "mean")} | {Num(r, "difference")} [{Num(r, "differenceLow")}, {Num(r, "differenceHigh")}] | {r.GetProperty("verdictText")} | {Text(r, "reason")} |");
    }
    Console.WriteLine("\n| arm | seed | steps / budget | converged | train s | test macro-F1 |\n|---|---|---|---|---|---|");
    foreach (var r in runs)
    {
        Console.WriteLine($"| {r.GetProperty("arm")} | {r.GetProperty("seed")} | {Text(r, "stepsDone")} / {Text(r, "budgetSteps")} | {Text(r, "converged")} | {Num(r, "trainSeconds", "0.0")} | {Num(r, "testMacroF1")} |");
    }
    Console.WriteLine();
    File.AppendAllText(results, JsonSerializer.Serialize(new { perClass, oldDefault = old, wallSeconds = wall, experiment }) + "\n");
}

async Task<(string RunId, double F1)> SourceRunAsync(string name, List<(byte[] Pixels, int Label)> items)
{
    var version = await VersionAsync(name, items, 0.15, 0.15);
    var experiment = await RunAsync(new { name, datasetVersionId = version, architecture = "small-cnn", seeds = 1, imageSize = 28 });
    var run = experiment.GetProperty("runs")[0];
    return (run.GetProperty("id").GetString()!, run.GetProperty("testMacroF1").GetDouble());
}

Task<string> VersionAsync(string name, List<(byte[] Pixels, int Label)> items, double validation, double test) =>
    ExperimentBench.VersionAsync(api, project, name, items, validation, test);

Task<JsonElement> RunAsync(object body) => ExperimentBench.RunAsync(api, project, body, TimeSpan.FromSeconds(2));

string Option(string name, string fallback) => ExperimentBench.Option(args, name, fallback);

