using System.IO.Compression;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using TransferHub.Shared.Identity;

namespace TransferHub.Tests.E2E;

public sealed class RegistryE2ETests(SeededAppFixture app) : IClassFixture<SeededAppFixture>
{
    private const string ApproverPassword = "Approver-Passw0rd!";

    private HttpClient Api() => E2EData.AdminClient(app.BaseUrl);

    /// <summary>A project with red/blue squares, a version, a finished baseline run and an Approver member, arranged through the API.</summary>
    private async Task<(string DatasetId, string ApproverEmail)> ArrangeAsync()
    {
        using var http = Api();
        var project = await (await http.PostAsJsonAsync("/api/projects", new { name = $"Registry {Guid.NewGuid():N}"[..20] })).Content.ReadFromJsonAsync<JsonElement>();
        var projectId = project.GetProperty("id").GetString();
        var approver = $"approver-{Guid.NewGuid():N}"[..17] + "@e2e.test";
        await Pages.CreateUserAsync(app.BaseUrl, approver, ApproverPassword, AppRoles.Approver);
        (await http.PostAsJsonAsync($"/api/projects/{projectId}/members", new { email = approver, role = "Approver" })).EnsureSuccessStatusCode();
        var dataset = await (await http.PostAsJsonAsync($"/api/projects/{projectId}/datasets", new { name = "squares", kind = "Image", task = "SingleLabel" }))
            .Content.ReadFromJsonAsync<JsonElement>();
        var datasetId = dataset.GetProperty("id").GetString()!;
        using var zip = new MemoryStream();
        using (var archive = new ZipArchive(zip, ZipArchiveMode.Create, leaveOpen: true))
        {
            for (var i = 0; i < 100; i++)
            {
                var red = i % 2 == 0;
                using var entry = archive.CreateEntry($"{(red ? "red" : "blue")}/{i}.png").Open();
                entry.Write(Png.Solid(12, 12, red ? (byte)(150 + i) : (byte)i, 10, red ? (byte)i : (byte)(150 + i)));
            }
        }
        using var form = new MultipartFormDataContent { { new ByteArrayContent(zip.ToArray()), "files", "squares.zip" } };
        var import = await (await http.PostAsync($"/api/datasets/{datasetId}/imports", form)).Content.ReadFromJsonAsync<JsonElement>();
        for (var i = 0; i < 300 && (await http.GetFromJsonAsync<JsonElement>($"/api/imports/{import.GetProperty("id").GetString()}")).GetProperty("status").GetString() == "Running"; i++)
        {
            await Task.Delay(100); // bounded wait on the import's own status
        }
        var version = await (await http.PostAsJsonAsync($"/api/datasets/{datasetId}/versions", new { split = new { train = 0.4, validation = 0.3, test = 0.3 }, seed = 1 }))
            .Content.ReadFromJsonAsync<JsonElement>();
        var experiment = await (await http.PostAsJsonAsync($"/api/projects/{projectId}/experiments", new
        {
            name = "baseline", datasetVersionId = version.GetProperty("id").GetString(), architecture = "small-cnn", seeds = 1, epochs = 3, imageSize = 12, learningRate = 3e-3, batchSize = 8,
        })).Content.ReadFromJsonAsync<JsonElement>();
        for (var i = 0; i < 600 && (await http.GetFromJsonAsync<JsonElement>($"/api/experiments/{experiment.GetProperty("id").GetString()}")).GetProperty("status").GetString() == "running"; i++)
        {
            await Task.Delay(200); // bounded wait on the experiment's own status
        }
        return (datasetId, approver);
    }

    private static async Task PredictAsync(HttpClient http, string modelId, IEnumerable<byte[]> images)
    {
        using var form = new MultipartFormDataContent();
        var count = 0;
        foreach (var image in images)
        {
            form.Add(new ByteArrayContent(image), "files", $"{count++}.png");
        }
        var predicted = await http.PostAsync($"/api/models/{modelId}/predict", form);
        predicted.EnsureSuccessStatusCode();
        (await predicted.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("predictions").GetArrayLength().ShouldBe(count);
    }

    [Fact]
    public async Task RegisterApprovePredictSeeDriftAndSendToLabeling()
    {
        var (datasetId, approverEmail) = await ArrangeAsync();
        using var http = Api();
        var before = (await http.GetFromJsonAsync<JsonElement>($"/api/datasets/{datasetId}/items?pageSize=1")).GetProperty("total").GetInt32();

        var page = await app.NewPageAsync();
        await page.SignInAsync(BrowserFixture.AdminEmail, BrowserFixture.AdminPassword);
        await Assertions.Expect(page).ToHaveURLAsync(new Regex("/$"));
        await page.GotoInteractiveAsync("/models");
        await page.GetByLabel("Model name").FillAsync("squares");
        // Enabled while the name field still has focus (the first click once did nothing until the field lost it).
        await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { Name = "Register" })).ToBeEnabledAsync();
        await Assertions.Expect(page.GetByLabel("Model name")).ToBeFocusedAsync();
        await page.GetByLabel("Keep served inputs (to send them to labeling)").CheckAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Register" }).ClickAsync();
        // Registration scores the run's held-out items for the drift reference: seconds on a busy 2-core machine.
        await Assertions.Expect(page).ToHaveURLAsync(new Regex("/models/[0-9a-f-]{36}$"), new() { Timeout = 30_000 });
        await Assertions.Expect(page.Locator("#model-title")).ToHaveTextAsync("squares");
        var modelId = page.Url.Split('/')[^1];
        await page.GetByRole(AriaRole.Button, new() { Name = "Request production" }).ClickAsync();
        await Assertions.Expect(page.Locator("#approvals")).ToContainTextAsync("Pending");
        await Assertions.Expect(page.Locator("#approvals")).ToContainTextAsync("drift reference");

        var approver = await app.NewPageAsync();
        await approver.SignInAsync(approverEmail, ApproverPassword);
        await Assertions.Expect(approver).ToHaveURLAsync(new Regex("/$"));
        await approver.GotoInteractiveAsync($"/models/{modelId}");
        await approver.GetByRole(AriaRole.Button, new() { Name = "Approve" }).ClickAsync();
        await Assertions.Expect(approver.Locator("#production-version")).ToHaveTextAsync("Production: v1");
        // The requester's page, open all along, follows the decision without a reload (it once kept "No production version").
        await Assertions.Expect(page.Locator("#production-version")).ToHaveTextAsync("Production: v1");
        await Assertions.Expect(page.Locator("#approvals")).ToContainTextAsync("Approved");

        // Trying the model on its page: a red square comes back "red" with both classes' probabilities. Not logged: the
        // drifted window sent to labeling below stays exactly the 100 inputs of the API traffic.
        await page.GotoInteractiveAsync($"/models/{modelId}");
        await page.Locator("#try-model input[type=file]").SetInputFilesAsync(new FilePayload { Name = "red.png", MimeType = "image/png", Buffer = Png.Solid(12, 12, 220, 10, 10) });
        await Assertions.Expect(page.Locator("#try-result")).ToContainTextAsync(new Regex(@"^red · \d+\.\d % \(v1\)"));
        await Assertions.Expect(page.Locator("#try-result .try-class")).ToHaveCountAsync(2);
        // Pasted from the clipboard (Ctrl+V anywhere on the page): a blue square comes back "blue".
        await page.EvaluateAsync("""
            () => {
                const canvas = document.createElement('canvas');
                canvas.width = canvas.height = 12;
                const context = canvas.getContext('2d');
                context.fillStyle = 'rgb(10, 10, 220)';
                context.fillRect(0, 0, 12, 12);
                return new Promise(done => canvas.toBlob(blob => {
                    const clipboard = new DataTransfer();
                    clipboard.items.add(new File([blob], 'pasted.png', { type: 'image/png' }));
                    document.body.dispatchEvent(new ClipboardEvent('paste', { clipboardData: clipboard, bubbles: true }));
                    done();
                }, 'image/png'));
            }
            """);
        await Assertions.Expect(page.Locator("#try-result")).ToContainTextAsync(new Regex(@"^blue · \d+\.\d % \(v1\)"));
        // One of its own test images, with the true label beside the answer.
        await page.Locator("#try-examples .try-example").First.ClickAsync();
        await Assertions.Expect(page.Locator("#try-truth")).ToContainTextAsync(new Regex("labeled (red|blue): right"));
        await page.Locator("#try-model").ScreenshotAsync(new() { Path = Path.Combine(Pages.ScreenshotDir, "39-try-model.png") });


        // First traffic like the training data, checked; then traffic that looks nothing like it: green squares.
        // Shades between the imported ones (imported reds have even shades, blues odd): new images, same distribution.
        await PredictAsync(http, modelId, Enumerable.Range(0, 40).Select(j => (Red: j % 2 == 0, I: 5 * (j / 2) + (j % 2 == 0 ? 1 : 2) + 5 * (j / 2) % 2))
            .Select(x => x.Red ? Png.Solid(12, 12, (byte)(150 + x.I), 10, (byte)x.I) : Png.Solid(12, 12, (byte)x.I, 10, (byte)(150 + x.I))));
        await page.GotoInteractiveAsync($"/models/{modelId}");
        await page.GetByRole(AriaRole.Button, new() { Name = "Check now" }).ClickAsync();
        await Assertions.Expect(page.Locator("#drift-tests")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#drift-status")).Not.ToHaveTextAsync("drift");
        await PredictAsync(http, modelId, Enumerable.Range(0, 60).Select(i => Png.Solid(12, 12, 20, (byte)(150 + i), 30)));

        await page.GetByRole(AriaRole.Button, new() { Name = "Check now" }).ClickAsync();
        await Assertions.Expect(page.Locator("#drift-status")).ToHaveTextAsync("drift");
        await Assertions.Expect(page.Locator("#drift-tests")).ToContainTextAsync("image brightness");
        await page.ScreenshotAsync("40-model-drift");
        await page.GetByRole(AriaRole.Button, new() { Name = "Send to labeling" }).ClickAsync();
        await Assertions.Expect(page.GetByText("100 inputs sent to labeling")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#audit-log")).ToContainTextAsync("sent to labeling");
        await page.GetByRole(AriaRole.Button, new() { Name = "Lineage" }).ClickAsync();
        await Assertions.Expect(page.Locator("#lineage .lineage-node")).ToHaveCountAsync(3);
        await Assertions.Expect(page.Locator("#lineage")).ToContainTextAsync("squares v1");
        await page.Locator("#lineage").ScreenshotAsync(new() { Path = Path.Combine(Pages.ScreenshotDir, "45-lineage.png") });
        await page.GetByRole(AriaRole.Button, new() { Name = "Card" }).ClickAsync();
        await Assertions.Expect(page.Locator("#model-card")).ToContainTextAsync("Intended use");
        await page.Locator("#model-card").ScreenshotAsync(new() { Path = Path.Combine(Pages.ScreenshotDir, "42-model-card.png") });

        var after = (await http.GetFromJsonAsync<JsonElement>($"/api/datasets/{datasetId}/items?pageSize=1")).GetProperty("total").GetInt32();
        after.ShouldBe(before + 100); // the whole drifted window: 40 like the training data, 60 not
        await page.GotoInteractiveAsync($"/datasets/{datasetId}");
        // The sent inputs wait, unlabeled, in the dataset's labeling queue.
        await Assertions.Expect(page.GetByText($"{before} of {before + 100} items labeled")).ToBeVisibleAsync();
        await page.ScreenshotAsync("41-dataset-after-drift");

        await page.GotoInteractiveAsync("/monitoring");
        await Assertions.Expect(page.GetByRole(AriaRole.Row).Filter(new() { HasText = "squares" })).ToContainTextAsync("drift");
        await page.ScreenshotAsync("43-monitoring");

        // Downloaded as ONNX from the model page (last: its check adds a served prediction), the model answers in ONNX Runtime as it does when served.
        await page.GotoInteractiveAsync($"/models/{modelId}");
        var download = await page.RunAndWaitForDownloadAsync(() => page.Locator("#onnx-v1").ClickAsync());
        (await download.FailureAsync()).ShouldBeNull();
        download.SuggestedFilename.ShouldBe("squares-v1.onnx");
        var onnxPath = await download.PathAsync();
        var red = Png.Solid(12, 12, 200, 10, 20);
        using var form = new MultipartFormDataContent { { new ByteArrayContent(red), "files", "red.png" } };
        var served = await (await http.PostAsync($"/api/models/{modelId}/predict", form)).Content.ReadFromJsonAsync<JsonElement>();
        using (var session = new Microsoft.ML.OnnxRuntime.InferenceSession(onnxPath))
        {
            // A solid image preprocesses to one value per channel: (v / 255 − ImageNet mean) / std.
            float[] mean = [0.485f, 0.456f, 0.406f], std = [0.229f, 0.224f, 0.225f];
            byte[] rgb = [200, 10, 20];
            var pixels = Enumerable.Range(0, 3).SelectMany(c => Enumerable.Repeat((rgb[c] / 255f - mean[c]) / std[c], 144)).ToArray();
            using var results = session.Run([Microsoft.ML.OnnxRuntime.NamedOnnxValue.CreateFromTensor("image", new Microsoft.ML.OnnxRuntime.Tensors.DenseTensor<float>(pixels, [1, 3, 12, 12]))]);
            var logits = results.First().AsEnumerable<float>().Select(v => (double)v).ToArray();
            var exp = logits.Select(v => Math.Exp(v - logits.Max())).ToArray();
            var labels = served.GetProperty("predictions")[0].GetProperty("probabilities");
            var classes = (await http.GetFromJsonAsync<JsonElement>($"/api/models/{modelId}")).GetProperty("versions")[0].GetProperty("labels").EnumerateArray().Select(l => l.GetString()!).ToList();
            for (var c = 0; c < classes.Count; c++)
            {
                (exp[c] / exp.Sum()).ShouldBe(labels.GetProperty(classes[c]).GetDouble(), 1e-4);
            }
        }
        await page.GotoInteractiveAsync("/models");
        await Assertions.Expect(page.Locator("#models-table")).ToContainTextAsync("v1");
        await page.ScreenshotAsync("44-models");
    }
}
