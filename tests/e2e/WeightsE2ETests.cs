using System.IO.Compression;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace TransferHub.Tests.E2E;

public sealed class WeightsE2ETests(SeededAppFixture app) : IClassFixture<SeededAppFixture>
{
    [Fact]
    public async Task AScientistImportsAHuggingFaceBertZipAndPicksItAsATransferSourceAndABrokenFileIsExplained()
    {
        var page = await app.NewPageAsync();
        await page.SignInAsync(BrowserFixture.AdminEmail, BrowserFixture.AdminPassword);
        await Assertions.Expect(page).ToHaveURLAsync(new Regex("/$"));

        await page.GotoInteractiveAsync("/weights");
        await Assertions.Expect(page.GetByText("No pretrained weights yet")).ToBeVisibleAsync();
        // MudFileUpload adds a fresh input after each pick, so the last one is the live one.
        await page.Locator("input[type=file]").Last.SetInputFilesAsync(new FilePayload { Name = "broken.safetensors", MimeType = "application/octet-stream", Buffer = Encoding.UTF8.GetBytes("not weights at all") });
        await Assertions.Expect(page.Locator("#weights-error")).ToContainTextAsync("neither safetensors (no JSON header) nor a zip", new() { Timeout = 30_000 });

        await page.GetByLabel("Name (optional)").FillAsync("tiny-bert");
        await page.Locator("input[type=file]").Last.SetInputFilesAsync(new FilePayload { Name = "tiny-bert.zip", MimeType = "application/zip", Buffer = TinyBertZip() });
        var row = page.Locator("#weights tbody tr");
        await Assertions.Expect(row).ToHaveCountAsync(1, new() { Timeout = 30_000 });
        await Assertions.Expect(row).ToContainTextAsync("tiny-bert");
        await Assertions.Expect(row).ToContainTextAsync("text-bert");
        await Assertions.Expect(row).ToContainTextAsync("hf-zip");
        await Assertions.Expect(page.GetByLabel("Name (optional)")).ToHaveValueAsync(""); // ready for the next file
        await Assertions.Expect(page.Locator("#choose-weights")).ToBeEnabledAsync();
        await page.ScreenshotAsync("45-pretrained-weights");

        await E2EData.ArrangeVersionAsync(app.BaseUrl); // the experiment form needs a dataset version
        await page.GotoInteractiveAsync("/experiments");
        await page.GetByLabel("Transfer from").ClickAsync();
        await page.Locator(".mud-popover-open .mud-list-item", new() { HasText = "Weights · tiny-bert (text-bert)" }).ClickAsync();
        // Picking a source sets the experiment's architecture to the source's.
        var architecture = page.Locator(".mud-input-control", new() { HasText = "Architecture" }).Locator("input").First;
        await Assertions.Expect(architecture).ToHaveValueAsync("text-bert");
    }

    [Fact]
    public async Task ALabelerSeesTheWeightsButNoImport()
    {
        await Pages.CreateUserAsync(app.BaseUrl, "weights-labeler@example.com", "Labeler-pass-123", "Labeler");
        var page = await app.NewPageAsync();
        await page.SignInAsync("weights-labeler@example.com", "Labeler-pass-123");
        await Assertions.Expect(page).ToHaveURLAsync(new Regex("/$"));

        await page.GotoInteractiveAsync("/weights");

        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Pretrained weights", Exact = true })).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#choose-weights")).ToHaveCountAsync(0);
    }

    /// <summary>A one-layer BERT (width 8) in Hugging Face's layout, zipped under a folder as people zip a download.</summary>
    private static byte[] TinyBertZip()
    {
        using var buffer = new MemoryStream();
        using (var zip = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var (name, content) in TinyBertFiles())
            {
                using var entry = zip.CreateEntry("tiny-bert/" + name).Open();
                entry.Write(content);
            }
        }
        return buffer.ToArray();
    }

    /// <summary>A one-layer BERT (width 8) in Hugging Face's layout, zeros for weights: what matters here is names and shapes.</summary>
    internal static Dictionary<string, byte[]> TinyBertFiles()
    {
        const int vocab = 12, hidden = 8, intermediate = 16, positions = 160;
        var shapes = new Dictionary<string, int[]>
        {
            ["bert.embeddings.word_embeddings.weight"] = [vocab, hidden],
            ["bert.embeddings.position_embeddings.weight"] = [positions, hidden],
            ["bert.embeddings.token_type_embeddings.weight"] = [2, hidden],
            ["bert.embeddings.LayerNorm.weight"] = [hidden],
            ["bert.embeddings.LayerNorm.bias"] = [hidden],
        };
        foreach (var part in new[] { "attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense" })
        {
            shapes[$"bert.encoder.layer.0.{part}.weight"] = [hidden, hidden];
            shapes[$"bert.encoder.layer.0.{part}.bias"] = [hidden];
        }
        foreach (var norm in new[] { "attention.output.LayerNorm", "output.LayerNorm" })
        {
            shapes[$"bert.encoder.layer.0.{norm}.weight"] = [hidden];
            shapes[$"bert.encoder.layer.0.{norm}.bias"] = [hidden];
        }
        shapes["bert.encoder.layer.0.intermediate.dense.weight"] = [intermediate, hidden];
        shapes["bert.encoder.layer.0.intermediate.dense.bias"] = [intermediate];
        shapes["bert.encoder.layer.0.output.dense.weight"] = [hidden, intermediate];
        shapes["bert.encoder.layer.0.output.dense.bias"] = [hidden];

        var header = new Dictionary<string, object>();
        long offset = 0;
        foreach (var (name, shape) in shapes)
        {
            var bytes = 4L * shape.Aggregate(1, (a, b) => a * b);
            header[name] = new { dtype = "F32", shape, data_offsets = new[] { offset, offset + bytes } };
            offset += bytes;
        }
        var json = JsonSerializer.SerializeToUtf8Bytes(header);
        var model = new byte[8 + json.Length + offset];
        BitConverter.TryWriteBytes(model.AsSpan(0, 8), (ulong)json.Length);
        json.CopyTo(model, 8);

        return new()
        {
            ["model.safetensors"] = model,
            ["vocab.txt"] = Encoding.UTF8.GetBytes("[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nthe\ngood\nbad\nfilm\n##s\nplot\nwas\n"),
            ["config.json"] = Encoding.UTF8.GetBytes("""{"model_type":"bert","vocab_size":12,"hidden_size":8,"num_hidden_layers":1,"num_attention_heads":2,"intermediate_size":16,"max_position_embeddings":160}"""),
        };
    }
}
