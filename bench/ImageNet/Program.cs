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
using TransferHub.Bench.Labeling;

const string Token = "thp_bench-bootstrap-token-0123456789abcdef";
string[] names = ["t-shirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "ankle-boot"];
var labels = Option("--labels", "5,10,20").Split(',').Select(int.Parse).ToList();
var seeds = int.Parse(Option("--seeds", "5"));
var imageSize = int.Parse(Option("--size", "64"));
var folder = Option("--fmnist", "/usr/share/datasets/fashion-mnist");
var onnx = Option("--onnx", Assembly.GetExecutingAssembly().GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "ResNet18Onnx").Value!);
var (trainX, trainY) = Read(folder, "train");
var (testX, testY) = Read(folder, "t10k");
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

async Task<string> VersionAsync(string name, List<(byte[] Pixels, int Label)> items, double validation, double test)
{
    var dataset = (await BenchApp.PostAsync(api, $"/api/projects/{project}/datasets", new { name, kind = "Image", task = "SingleLabel" })).GetProperty("id").GetString()!;
    using var zip = new MemoryStream();
    using (var archive = new ZipArchive(zip, ZipArchiveMode.Create, leaveOpen: true))
    {
        for (var i = 0; i < items.Count; i++)
        {
            using var entry = archive.CreateEntry($"{names[items[i].Label]}/{i}.png").Open();
            entry.Write(TransferHub.Tests.E2E.Png.Gray(28, 28, items[i].Pixels));
        }
    }
    using var upload = new MultipartFormDataContent { { new ByteArrayContent(zip.ToArray()), "files", "images.zip" } };
    var import = await (await api.PostAsync($"/api/datasets/{dataset}/imports", upload)).Content.ReadFromJsonAsync<JsonElement>();
    while ((await api.GetFromJsonAsync<JsonElement>($"/api/imports/{import.GetProperty("id").GetString()}")).GetProperty("status").GetString() == "Running")
    {
        await Task.Delay(500);
    }
    var split = new { train = 1 - validation - test, validation, test };
    return (await BenchApp.PostAsync(api, $"/api/datasets/{dataset}/versions", new { split, seed = 1 })).GetProperty("id").GetString()!;
}

async Task<JsonElement> RunAsync(object body)
{
    var id = (await BenchApp.PostAsync(api, $"/api/projects/{project}/experiments", body)).GetProperty("id").GetString()!;
    while (true)
    {
        var experiment = await api.GetFromJsonAsync<JsonElement>($"/api/experiments/{id}");
        if (experiment.GetProperty("status").GetString() is "finished" or "finished with failures")
        {
            return experiment;
        }
        await Task.Delay(5000); // a benchmark's progress poll, not a test's synchronisation
    }
}

static (byte[][] Images, int[] Labels) Read(string folder, string kind)
{
    using var images = new GZipStream(File.OpenRead(Path.Combine(folder, $"{kind}-images-idx3-ubyte.gz")), CompressionMode.Decompress);
    using var labels = new GZipStream(File.OpenRead(Path.Combine(folder, $"{kind}-labels-idx1-ubyte.gz")), CompressionMode.Decompress);
    using var imageBytes = new MemoryStream();
    images.CopyTo(imageBytes);
    using var labelBytes = new MemoryStream();
    labels.CopyTo(labelBytes);
    var pixels = imageBytes.ToArray();
    var y = labelBytes.ToArray()[8..].Select(b => (int)b).ToArray();
    return ([.. Enumerable.Range(0, y.Length).Select(i => pixels.AsSpan(16 + i * 784, 784).ToArray())], y);
}

static string Num(JsonElement e, string name, string format = "0.000") =>
    e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble().ToString(format, System.Globalization.CultureInfo.InvariantCulture) : "—";

static string Text(JsonElement e, string name) =>
    e.TryGetProperty(name, out var v) && v.ValueKind is not (JsonValueKind.Null or JsonValueKind.Undefined) ? v.ToString().Replace("|", "/") : "—";

string Option(string name, string fallback) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault() ?? fallback;

static string Root()
{
    var dir = new DirectoryInfo(AppContext.BaseDirectory);
    while (!File.Exists(Path.Combine(dir.FullName, "TransferHub.sln")))
    {
        dir = dir.Parent ?? throw new InvalidOperationException("Run from inside the repository.");
    }
    return dir.FullName;
}
