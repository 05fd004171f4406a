using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using SkiaSharp;
using TransferHub.Registry.Features.Drift;
using TransferHub.Shared.Registry;
using TransferHub.Training.Models;
using TransferHub.Training.Serving;
using TransferHub.Training.Weights;

// Predict latency of the serving path's engine part (decode + preprocess + forward + softmax, no HTTP or database), TorchSharp
// vs ONNX Runtime on the same weights,
// and the drift report's statistics over a large logged window; with "page-load", the model page with 1 000 versions.
// Usage: dotnet run -c Release --project bench/Registry -- [iterations] [page-load | mobile | text]
// ("mobile": MobileNetV2 and EfficientNet-B0 only; "text": text-bag, text-cnn, and BERT-tiny / MiniLM-L6-shaped text-bert on 60-word texts)
var iterations = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 30;
if (args.Contains("page-load"))
{
    var page = await TransferHub.Bench.Registry.PageLoad.RunAsync(1000, iterations);
    File.WriteAllText(Path.Combine(AppContext.BaseDirectory, $"registry-page-{DateTime.UtcNow:yyyyMMddTHHmmssZ}.jsonl"), JsonSerializer.Serialize(page) + "\n");
    return;
}
TransferHub.Training.Runtime.LibTorchContext.SetFlushDenormal();
var results = new List<object>();
// TorchSharp and ONNX Runtime on the same model, measured in alternating rounds so both see the same machine state.
var text = args.Contains("text");
Console.WriteLine(text ? "| model | batch | runtime | p50 ms | p95 ms | texts/s |" : "| model | px | batch | runtime | p50 ms | p95 ms | images/s |");
Console.WriteLine(text ? "|---|---|---|---|---|---|" : "|---|---|---|---|---|---|---|");
var models = text
    ? new[] { ("text-bag", 0), ("text-cnn", 0), ("text-bert", 0), ("text-bert-minilm", 0) }
    : args.Contains("mobile")
        ? new[] { ("mobilenet-v2", 224), ("efficientnet-b0", 224) }
        : new[] { ("small-cnn", 64), ("resnet18", 64), ("resnet18", 224) };
foreach (var (architecture, size) in models)
{
    var weights = text ? TextWeights(architecture) : Weights(architecture);
    using var torch = Predictor.Load(weights);
    using var onnx = OnnxRuntimePredictor.Load(weights);
    foreach (var batch in new[] { 1, 8, 32 })
    {
        List<byte[]> images = text ? [] : [.. Enumerable.Range(0, batch).Select(i => Noise(size, i))];
        List<string> texts = text ? [.. Enumerable.Range(0, batch).Select(Email)] : [];
        void Predict(ILoadedModel runtime)
        {
            if (text) runtime.PredictTexts(texts);
            else runtime.PredictImages(images, size);
        }
        var times = new Dictionary<string, List<double>> { ["TorchSharp"] = [], ["ONNX Runtime"] = [] };
        foreach (var (_, runtime) in new (string, ILoadedModel)[] { ("TorchSharp", torch), ("ONNX Runtime", onnx) })
        {
            for (var w = 0; w < 3; w++) Predict(runtime);
        }
        for (var i = 0; i < iterations; i++)
        {
            foreach (var (name, runtime) in new (string, ILoadedModel)[] { ("TorchSharp", torch), ("ONNX Runtime", onnx) })
            {
                var watch = Stopwatch.StartNew();
                Predict(runtime);
                times[name].Add(watch.Elapsed.TotalMilliseconds);
            }
        }
        foreach (var (runtime, list) in times)
        {
            list.Sort();
            var (p50, p95) = (list[list.Count / 2], list[(int)Math.Ceiling(list.Count * 0.95) - 1]);
            var throughput = batch * 1000 / list.Average();
            Console.WriteLine(text
                ? FormattableString.Invariant($"| {architecture} | {batch} | {runtime} | {p50:0.0} | {p95:0.0} | {throughput:0} |")
                : FormattableString.Invariant($"| {architecture} | {size} | {batch} | {runtime} | {p50:0.0} | {p95:0.0} | {throughput:0} |"));
            results.Add(new { kind = "predict", architecture, size, batch, runtime, iterations, p50, p95, throughput });
        }
    }
}
if (text)
{
    WriteRaw("registry-runtimes-text");
    return;
}

// A million logged predictions against a 2 000-item reference; the service decodes at most 300 embeddings per window.
var random = new Random(1);
const int Logged = 1_000_000, Classes = 10, Dim = 512;
var reference = Sample(2_000, 0);
var window = Sample(Logged, 0.2);
var settings = new DriftSettings(Window: Logged);
var drift = Stopwatch.StartNew();
var (status, _) = DriftEvaluator.Evaluate(reference, window, settings, "image brightness");
Console.WriteLine(FormattableString.Invariant($"\nDrift report over {Logged:N0} predictions: {drift.Elapsed.TotalSeconds:0.00} s ({status})"));
results.Add(new { kind = "drift", predictions = Logged, seconds = drift.Elapsed.TotalSeconds, status });
WriteRaw("registry-bench");

void WriteRaw(string name)
{
    var file = Path.Combine(AppContext.BaseDirectory, $"{name}-{DateTime.UtcNow:yyyyMMddTHHmmssZ}.jsonl");
    File.WriteAllLines(file, results.Select(r => JsonSerializer.Serialize(r)));
    Console.WriteLine($"Raw lines: {file}");
}

PredictionSample Sample(int n, double shift)
{
    var counts = new int[Classes];
    var confidences = new double[n];
    var stats = new double[n];
    for (var i = 0; i < n; i++)
    {
        counts[Math.Min(Classes - 1, (int)(random.NextDouble() * Classes * (1 - shift)))]++;
        confidences[i] = 1 - shift - 0.5 * random.NextDouble();
        stats[i] = 0.4 + shift + 0.1 * random.NextDouble();
    }
    var embeddings = Enumerable.Range(0, Math.Min(n, 300)).Select(_ => Enumerable.Range(0, Dim).Select(_ => (float)(random.NextDouble() + shift)).ToArray()).ToList();
    return new PredictionSample(counts, confidences, stats, embeddings);
}

static byte[] Weights(string architecture)
{
    TorchSharp.torch.manual_seed(1);
    using var model = ModelRegistry.Create(architecture, 10);
    var path = Path.Combine(Path.GetTempPath(), $"bench-{architecture}.safetensors");
    ModelWeights.Export(model, architecture, path, new Dictionary<string, string> { ["classes"] = JsonSerializer.Serialize(Enumerable.Range(0, 10).Select(i => $"c{i}")) });
    var bytes = File.ReadAllBytes(path);
    File.Delete(path);
    return bytes;
}

// text-bag and text-cnn over hashed words; text-bert as a scratch run writes it (BERT-tiny's shape), or MiniLM-L6's
// shape (384 wide, 6 layers, 12 heads) — the sentence encoder teams pick — over the same small vocabulary (the
// vocabulary's size changes the embedding table, not the compute).
static byte[] TextWeights(string name)
{
    TorchSharp.torch.manual_seed(1);
    var corpus = Enumerable.Range(0, 200).Select(Email).ToList();
    var metadata = new Dictionary<string, string> { ["classes"] = JsonSerializer.Serialize(Enumerable.Range(0, 10).Select(i => $"c{i}")) };
    ClassifierModel model;
    if (name.StartsWith("text-bert", StringComparison.Ordinal))
    {
        var recipe = TransferHub.Training.Models.Bert.BertRecipe.FromScratch(corpus);
        if (name == "text-bert-minilm")
        {
            recipe = recipe with { Config = recipe.Config with { HiddenSize = 384, Layers = 6, Heads = 12, IntermediateSize = 1536 } };
        }
        model = new TransferHub.Training.Models.Bert.TextBert(recipe.Config, 10);
        foreach (var (key, value) in recipe.ToMetadata()) metadata[key] = value;
        name = "text-bert";
    }
    else
    {
        model = ModelRegistry.Create(name, 10);
    }
    using (model)
    {
        var path = Path.Combine(Path.GetTempPath(), $"bench-{name}.safetensors");
        ModelWeights.Export(model, name, path, metadata);
        var bytes = File.ReadAllBytes(path);
        File.Delete(path);
        return bytes;
    }
}

// About 60 words, like a short e-mail.
static string Email(int seed)
{
    string[] words = ["invoice", "meeting", "please", "attached", "the", "report", "schedule", "thanks", "regards", "project", "update", "deadline", "review", "customer", "order", "shipping", "account", "password", "urgent", "team"];
    var random = new Random(seed);
    return string.Join(' ', Enumerable.Range(0, 50 + random.Next(20)).Select(_ => words[random.Next(words.Length)]));
}

static byte[] Noise(int size, int seed)
{
    var random = new Random(seed);
    using var bitmap = new SKBitmap(size, size);
    for (var y = 0; y < size; y++)
    {
        for (var x = 0; x < size; x++)
        {
            bitmap.SetPixel(x, y, new SKColor((byte)random.Next(256), (byte)random.Next(256), (byte)random.Next(256)));
        }
    }
    using var image = SKImage.FromBitmap(bitmap);
    return image.Encode(SKEncodedImageFormat.Png, 90).ToArray();
}
