using System.Text.RegularExpressions;

namespace TransferHub.Tests.E2E;

/// <summary>Its own app: the BERT test in <see cref="WeightsE2ETests"/> starts from an empty weights list.</summary>
public sealed class OnnxWeightsE2ETests(SeededAppFixture app) : IClassFixture<SeededAppFixture>
{
    [Fact]
    public async Task AnOnnxModelImportsWithItsInputConventionAndShowsItsOnnxRuntimeCheck()
    {
        var page = await app.NewPageAsync();
        await page.SignInAsync(BrowserFixture.AdminEmail, BrowserFixture.AdminPassword);
        await Assertions.Expect(page).ToHaveURLAsync(new Regex("/$"));
        await page.GotoInteractiveAsync("/weights");
        var onnx = new MemoryStream();
        Google.Protobuf.MessageExtensions.WriteTo(TransferHub.Tests.Support.OnnxModels.ResidualCnn(), onnx);

        // A graph with an operator the product cannot run is refused, naming it.
        var unsupported = TransferHub.Tests.Support.OnnxModels.ResidualCnn();
        unsupported.Graph.Node.Insert(2, TransferHub.Tests.Support.OnnxModels.Node("LSTM", ["n1"], ["lstm"]));
        var broken = new MemoryStream();
        Google.Protobuf.MessageExtensions.WriteTo(unsupported, broken);
        await page.Locator("input[type=file]").Last.SetInputFilesAsync(new FilePayload { Name = "lstm.onnx", MimeType = "application/octet-stream", Buffer = broken.ToArray() });
        await Assertions.Expect(page.Locator("#weights-error")).ToContainTextAsync("Unsupported ONNX operator: LSTM", new() { Timeout = 30_000 });

        // A Caffe-style model: BGR, 0-255, its own means.
        await page.GetByText("ONNX input (only for .onnx files)").ClickAsync();
        await page.GetByLabel("Channel order").ClickAsync();
        await page.Locator(".mud-popover-open .mud-list-item", new() { HasText = "BGR" }).ClickAsync();
        await page.Locator("#onnx-scale").FillAsync("255");
        await page.Locator("#onnx-mean").FillAsync("103.06, 115.90, 123.15");
        await page.Locator("#onnx-std").FillAsync("1, 1, 1");
        await page.GetByLabel("Name (optional)").FillAsync("residual-cnn");
        await page.Locator("input[type=file]").Last.SetInputFilesAsync(new FilePayload { Name = "residual.onnx", MimeType = "application/octet-stream", Buffer = onnx.ToArray() });

        var row = page.Locator("#weights tbody tr", new() { HasText = "residual-cnn" });
        await Assertions.Expect(row).ToHaveCountAsync(1, new() { Timeout = 30_000 });
        await Assertions.Expect(row).ToContainTextAsync("onnx-graph");
        await Assertions.Expect(row).ToContainTextAsync("onnx");
        await Assertions.Expect(row).ToContainTextAsync("ONNX Runtime ±");
        await page.ScreenshotAsync("46-onnx-weights");
    }
}

/// <summary>
/// A seeded app whose Hub is a loopback one serving a catalog model (BERT-tiny's repository, with tiny tensors), and whose
/// offline folder (a copy of a Hub cache) holds another (MiniLM's repository, with the same tiny tensors).
/// </summary>
public sealed class HubAppFixture : BrowserFixture
{
    public const string OfflineRepo = "sentence-transformers/all-MiniLM-L6-v2";
    public const string ImageRepo = "timm/mobilenetv2_100.ra_in1k";

    public TransferHub.Tests.Support.LoopbackHub Hub { get; private set; } = null!;

    private readonly string _offlineFolder = Directory.CreateTempSubdirectory("th-e2e-hf-cache-").FullName;

    protected override async Task BeforeAppStartsAsync()
    {
        Hub = await TransferHub.Tests.Support.LoopbackHub.StartAsync();
        Hub.Repos["google/bert_uncased_L-2_H-128_A-2"] = WeightsE2ETests.TinyBertFiles();
        Hub.Repos[ImageRepo] = new() { ["model.safetensors"] = TransferHub.Tests.Support.TimmMobileNetV2File.Write(10) };
        TransferHub.Tests.Support.HubCacheFolder.Add(_offlineFolder, OfflineRepo, WeightsE2ETests.TinyBertFiles());
    }

    protected override IDictionary<string, string> Settings => new Dictionary<string, string>
    {
        ["Bootstrap:AdminEmail"] = AdminEmail,
        ["Bootstrap:AdminPassword"] = AdminPassword,
        ["Bootstrap:AdminToken"] = AdminToken,
        ["Hub:Endpoint"] = Hub.Url,
        ["Hub:Token"] = TransferHub.Tests.Support.LoopbackHub.Token,
        ["Hub:OfflineFolder"] = _offlineFolder,
    };

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await Hub.DisposeAsync();
        Directory.Delete(_offlineFolder, recursive: true);
    }
}

public sealed class HubE2ETests(HubAppFixture app) : IClassFixture<HubAppFixture>
{
    [Fact]
    public async Task AScientistPicksACatalogModelSeesItDownloadAndAMissingRepositoryIsExplained()
    {
        var page = await app.NewPageAsync();
        await page.SignInAsync(BrowserFixture.AdminEmail, BrowserFixture.AdminPassword);
        await Assertions.Expect(page).ToHaveURLAsync(new Regex("/$"));
        await page.GotoInteractiveAsync("/weights");

        await page.Locator("#hub-repo").FillAsync("acme/does-not-exist");
        await page.Locator("#hub-import-button").ClickAsync();
        await Assertions.Expect(page.Locator("#hub-error")).ToContainTextAsync("does not exist on the Hub", new() { Timeout = 30_000 });

        await page.GetByLabel("Catalog").ClickAsync();
        await page.Locator(".mud-popover-open .mud-list-item", new() { HasText = "BERT-tiny" }).ClickAsync();
        await Assertions.Expect(page.Locator("#hub-repo")).ToHaveValueAsync("google/bert_uncased_L-2_H-128_A-2");
        await page.Locator("#hub-import-button").ClickAsync();

        var row = page.Locator("#weights tbody tr", new() { HasText = "google/bert_uncased_L-2_H-128_A-2@main" });
        await Assertions.Expect(row).ToHaveCountAsync(1, new() { Timeout = 60_000 });
        await Assertions.Expect(row).ToContainTextAsync("text-bert");
        await Assertions.Expect(row).ToContainTextAsync("hub:hf-zip");
        app.Hub.Downloads.Select(d => d.File).ShouldContain("google/bert_uncased_L-2_H-128_A-2/vocab.txt");
        await page.ScreenshotAsync("47-hub-import");

        // A repository in the offline folder is marked in the catalog and imports from there, with no request to the Hub.
        await Assertions.Expect(page.Locator("#hub-offline")).ToContainTextAsync(HubAppFixture.OfflineRepo);
        await page.GetByLabel("Catalog").ClickAsync();
        await page.Locator(".mud-popover-open .mud-list-item", new() { HasText = "MiniLM" }).Filter(new() { HasText = "offline" }).ClickAsync();
        await Assertions.Expect(page.Locator("#hub-import-button")).ToHaveTextAsync("Import from the offline folder");
        await page.Locator("#hub-import-button").ClickAsync();
        var offline = page.Locator("#weights tbody tr", new() { HasText = $"{HubAppFixture.OfflineRepo}@main" });
        await Assertions.Expect(offline).ToHaveCountAsync(1, new() { Timeout = 60_000 });
        await Assertions.Expect(offline).ToContainTextAsync("text-bert");
        app.Hub.Downloads.ShouldNotContain(d => d.File.StartsWith(HubAppFixture.OfflineRepo, StringComparison.Ordinal));
        await page.ScreenshotAsync("47b-hub-offline");
    }

    [Fact]
    public async Task AnImageCatalogModelDownloadsWithProgressAndAnExperimentTransfersFromIt()
    {
        var page = await app.NewPageAsync();
        await page.SignInAsync(BrowserFixture.AdminEmail, BrowserFixture.AdminPassword);
        await Assertions.Expect(page).ToHaveURLAsync(new Regex("/$"));
        await page.GotoInteractiveAsync("/weights");
        var slowLink = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        app.Hub.Paused[$"{HubAppFixture.ImageRepo}/model.safetensors"] = slowLink;

        // timm's MobileNetV2: timm's tensor names, renamed to torchvision's at import; half arrives, then the link stalls.
        await page.GetByLabel("Catalog").ClickAsync();
        await page.Locator(".mud-popover-open .mud-list-item", new() { HasText = HubAppFixture.ImageRepo }).ClickAsync();
        await page.Locator("#hub-import-button").ClickAsync();
        await Assertions.Expect(page.Locator("#hub-progress")).ToBeVisibleAsync(new() { Timeout = 30_000 });
        await Assertions.Expect(page.GetByText(new Regex($"Downloading {Regex.Escape(HubAppFixture.ImageRepo)}… [1-9]"))).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByText("Uploading and checking")).ToHaveCountAsync(0); // the upload panel is not the one busy
        await page.ScreenshotAsync("47c-hub-progress");
        slowLink.SetResult();
        var row = page.Locator("#weights tbody tr", new() { HasText = $"{HubAppFixture.ImageRepo}@main" });
        await Assertions.Expect(row).ToHaveCountAsync(1, new() { Timeout = 60_000 });
        await Assertions.Expect(row).ToContainTextAsync("mobilenet-v2");

        await E2EData.ArrangeVersionAsync(app.BaseUrl);
        await page.GotoInteractiveAsync("/experiments");
        await page.GetByLabel("Name").FillAsync("from the hub");
        await page.GetByLabel("Seeds").FillAsync("1");
        await page.Locator("#advanced-settings").ClickAsync();
        await page.GetByLabel("Fixed epochs (instead of a budget)").FillAsync("1");
        await page.GetByLabel("Image px").FillAsync("16");
        await page.GetByLabel("Transfer from").ClickAsync();
        await page.Locator(".mud-popover-open .mud-list-item", new() { HasText = $"{HubAppFixture.ImageRepo}@main" }).ClickAsync();
        var architecture = page.Locator(".mud-input-control", new() { HasText = "Architecture" }).Locator("input").First;
        await Assertions.Expect(architecture).ToHaveValueAsync("mobilenet-v2");
        await page.GetByRole(AriaRole.Button, new() { Name = "Run" }).ClickAsync();
        await Assertions.Expect(page).ToHaveURLAsync(new Regex("/experiments/[0-9a-f-]{36}$"));
        await Assertions.Expect(page.Locator("#experiment-status")).ToHaveTextAsync("finished", new() { Timeout = 180_000 });
        var results = page.Locator("#results-table");
        await Assertions.Expect(results).ToContainTextAsync("feature-extraction");
        await Assertions.Expect(results).ToContainTextAsync("fine-tune");
        await page.ScreenshotAsync("47d-hub-experiment");
    }
}
