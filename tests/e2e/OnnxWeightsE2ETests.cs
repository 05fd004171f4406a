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
        await page.Locator("#onnx-order").ClickAsync();
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
