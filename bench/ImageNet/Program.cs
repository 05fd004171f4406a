// ImageNet benchmark: does a genuinely ImageNet-pretrained model help on small real data, at the experiment's defaults?
// ML.NET's ResNet-18 (ONNX, exported from CNTK) is imported through POST /api/weights like any user's file (BGR, 0-255,
// minus its mean image's channel means: what ResNetPreprocess.onnx does), then Fashion-MNIST classes 5-9 (sandal, shirt,
// sneaker, bag, ankle boot) with 5/10/20 labels per class (as many for validation, 200 per class from the test set as the
// test split): the same graph from scratch (baseline) vs ImageNet features frozen vs fine-tuned, over --seeds seeds, at the
// defaults (step budget, rates). One JSON line per experiment under bench/results, the tables for docs/benchmarks.md on stdout.
using System.IO.Compression;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Reflection;
using System.Text.Json;
using TransferHub.Bench;
using TransferHub.Bench.Labeling;
using static TransferHub.Bench.ExperimentBench;

const string Token = "thp_bench-bootstrap-token-0123456789abcdef";
var labels = Option("--labels", "5,10,20").Split(',').Select(int.Parse).ToList();
var seeds = int.Parse(Option("--seeds", "5"));
var imageSize = int.Parse(Option("--size", "64"));
var folder = Option("--fmnist", "/usr/share/datasets/fashion-mnist");
var onnx = Option("--onnx", Assembly.GetExecutingAssembly().GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "ResNet18Onnx").Value!);
var (trainX, trainY) = ReadFashionMnist(folder, "train");
var (testX, testY) = ReadFashionMnist(folder, "t10k");
var results = Path.Combine(Root(), "bench", "results", $"{DateTime.UtcNow:yyyyMMdd'T'HHmm'Z'}-imagenet.jsonl");

await using var app = await BenchApp.StartAsync(Token);
using var api = new HttpClient { BaseAddress = new Uri(app.BaseUrl), Timeout = TimeSpan.FromMinutes(10) };
api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token);
var project = (await BenchApp.PostAsync(api, "/api/projects", new { name = "imagenet bench" })).GetProperty("id").GetString()!;

var importStarted = DateTime.UtcNow;
using var form = new MultipartFormDataContent
{
    { new StreamContent(File.OpenRead(onnx)), "file", "ResNet18.onnx" },
    { new StringContent("ImageNet ResNet-18 (ML.NET, CNTK)"), "name" },
    { new StringContent("bgr"), "channelOrder" },
    { new StringContent("255"), "pixelScale" },
    { new StringContent("103.06,115.90,123.15"), "mean" }, // per-channel means of ResNetPreprocess.onnx's MeanImage (B, G, R)
    { new StringContent("1,1,1"), "std" },
};
var imported = await api.PostAsync("/api/weights", form);
var weights = await imported.Content.ReadFromJsonAsync<JsonElement>();
if (!imported.IsSuccessStatusCode) throw new InvalidOperationException($"import failed: {weights}");
var importSeconds = (DateTime.UtcNow - importStarted).TotalSeconds;
Console.WriteLine($"Imported {weights.GetProperty("name")}: {weights.GetProperty("parameters")} parameters, check \"{weights.GetProperty("check")}\", {importSeconds:0.0} s\n");
var source = weights.GetProperty("id").GetString()!;

foreach (var perClass in labels)
{
    var items = new List<(byte[] Pixels, int Label)>();
    for (var c = 5; c < 10; c++)
    {
        items.AddRange(Enumerable.Range(0, trainY.Length).Where(i => trainY[i] == c).Skip(1000).Take(2 * perClass).Select(i => (trainX[i], c)));
        items.AddRange(Enumerable.Range(0, testY.Length).Where(i => testY[i] == c).Take(200).Select(i => (testX[i], c)));
    }
    var n = 2.0 * perClass + 200;
    var version = await VersionAsync($"target {perClass} per class", items, perClass / n, 200 / n);
    var started = DateTime.UtcNow;
    var experiment = await RunAsync(new
    {
        name = $"{perClass}/class", datasetVersionId = version, architecture = "onnx-graph", seeds, imageSize,
        arms = new object[]
        {
            new { name = "ImageNet · frozen", strategy = "FeatureExtraction", sourceWeightsId = source },
            new { name = "ImageNet · fine-tune", strategy = "FineTune", sourceWeightsId = source },
        },
    });
    Report(perClass, experiment, (DateTime.UtcNow - started).TotalSeconds);
}
Console.WriteLine($"raw: {results}");

void Report(int perClass, JsonElement experiment, double wall)
{
    var runs = experiment.GetProperty("runs").EnumerateArray().ToList();
    Console.WriteLine($"### {perClass} labels per class: {wall:0} s wall, {experiment.GetProperty("budget")}\n");
    Console.WriteLine("| arm | test macro-F1 | difference (95 % CI) | verdict | why |\n|---|---|---|---|---|");
    foreach (var r in experiment.GetProperty("results").EnumerateArray())
    {
        Console.WriteLine($"| {r.GetProperty("arm")} | {Num(r, "mean")} | {Num(r, "difference")} [{Num(r, "differenceLow")}, {Num(r, "differenceHigh")}] | {r.GetProperty("verdictText")} | {Text(r, "reason")} |");
    }
    Console.WriteLine("\n| arm | mean train s per run | runs converged |\n|---|---|---|");
    foreach (var arm in runs.GroupBy(r => r.GetProperty("arm").GetString()))
    {
        var seconds = arm.Select(r => r.TryGetProperty("trainSeconds", out var s) && s.ValueKind == JsonValueKind.Number ? s.GetDouble() : double.NaN).Where(double.IsFinite).ToList();
        Console.WriteLine($"| {arm.Key} | {(seconds.Count > 0 ? seconds.Average().ToString("0.0", System.Globalization.CultureInfo.InvariantCulture) : "—")} | {arm.Count(r => Text(r, "converged") == "True")} of {arm.Count()} |");
    }
    Console.WriteLine();
    File.AppendAllText(results, JsonSerializer.Serialize(new { perClass, imageSize, wallSeconds = wall, importSeconds, experiment }) + "\n");
}

Task<string> VersionAsync(string name, List<(byte[] Pixels, int Label)> items, double validation, double test) =>
    ExperimentBench.VersionAsync(api, project, name, items, validation, test);

Task<JsonElement> RunAsync(object body) => ExperimentBench.RunAsync(api, project, body, TimeSpan.FromSeconds(5));

string Option(string name, string fallback) => ExperimentBench.Option(args, name, fallback);

