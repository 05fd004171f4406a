using System.IO.Compression;
using System.Net.Http.Json;
using System.Text.Json;
using TransferHub.Bench.Labeling;

namespace TransferHub.Bench;

/// <summary>What the experiment benchmarks share: Fashion-MNIST from Debian's package, datasets and experiments through
/// the real app's API, and the cells of their Markdown tables. Linked into each benchmark project.</summary>
internal static class ExperimentBench
{
    public static readonly string[] FashionNames = ["t-shirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "ankle-boot"];

    /// <summary>One Fashion-MNIST split ("train" or "t10k") from its gzipped IDX files: 28×28 grayscale pixels and labels.</summary>
    public static (byte[][] Images, int[] Labels) ReadFashionMnist(string folder, string kind)
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

    /// <summary>A dataset of the items (PNG per item, folder per Fashion-MNIST class), imported, and a version split as asked.</summary>
    public static async Task<string> VersionAsync(HttpClient api, string project, string name, List<(byte[] Pixels, int Label)> items, double validation, double test)
    {
        var dataset = (await BenchApp.PostAsync(api, $"/api/projects/{project}/datasets", new { name, kind = "Image", task = "SingleLabel" })).GetProperty("id").GetString()!;
        using var zip = new MemoryStream();
        using (var archive = new ZipArchive(zip, ZipArchiveMode.Create, leaveOpen: true))
        {
            for (var i = 0; i < items.Count; i++)
            {
                using var entry = archive.CreateEntry($"{FashionNames[items[i].Label]}/{i}.png").Open();
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

    /// <summary>Creates the experiment and waits for it to finish (a benchmark's progress poll, not a test's synchronisation).</summary>
    public static async Task<JsonElement> RunAsync(HttpClient api, string project, object body, TimeSpan poll)
    {
        var id = (await BenchApp.PostAsync(api, $"/api/projects/{project}/experiments", body)).GetProperty("id").GetString()!;
        while (true)
        {
            var experiment = await api.GetFromJsonAsync<JsonElement>($"/api/experiments/{id}");
            if (experiment.GetProperty("status").GetString() is "finished" or "finished with failures")
            {
                return experiment;
            }
            await Task.Delay(poll);
        }
    }

    public static string Num(JsonElement e, string name, string format = "0.000") =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble().ToString(format, System.Globalization.CultureInfo.InvariantCulture) : "—";

    public static string Text(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind is not (JsonValueKind.Null or JsonValueKind.Undefined) ? v.ToString().Replace("|", "/") : "—";

    public static string Option(string[] args, string name, string fallback) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault() ?? fallback;

    /// <summary>The repository's root (where TransferHub.sln is), found from the running benchmark's folder.</summary>
    public static string Root()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (!File.Exists(Path.Combine(dir.FullName, "TransferHub.sln")))
        {
            dir = dir.Parent ?? throw new InvalidOperationException("Run from inside the repository.");
        }
        return dir.FullName;
    }
}
