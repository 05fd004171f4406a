using System.Net.Http.Json;
using System.Text.Json;

namespace TransferHub.Tests.E2E;

/// <summary>
/// A node that only serves: the app copied without libtorch, on the data of a full node that trained and registered a
/// model, answers predictions from the version's ONNX export stored at registration — with ONNX Runtime, libtorch never
/// mapped (it is not there to map).
/// </summary>
public sealed class ServingNodeE2ETests
{
    [Fact]
    public async Task ANodeWithoutLibTorchServesARegisteredVersionFromItsStoredOnnxExport()
    {
        var settings = new Dictionary<string, string>
        {
            ["Bootstrap:AdminEmail"] = BrowserFixture.AdminEmail,
            ["Bootstrap:AdminPassword"] = BrowserFixture.AdminPassword,
            ["Bootstrap:AdminToken"] = BrowserFixture.AdminToken,
        };
        await using var full = await AppProcess.StartAsync(settings);
        var (projectId, versionId) = await E2EData.ArrangeVersionAsync(full.BaseUrl, images: 40);
        using var http = E2EData.AdminClient(full.BaseUrl);
        var created = await http.PostAsJsonAsync($"/api/projects/{projectId}/experiments",
            new { name = "to serve", datasetVersionId = versionId, architecture = "small-cnn", seeds = 1, epochs = 2, imageSize = 12, batchSize = 8, patience = 0 });
        created.EnsureSuccessStatusCode();
        var run = (await E2EData.WaitForRunsAsync(http, (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!, TimeSpan.FromMinutes(3))).Single();
        run.GetProperty("status").GetString().ShouldBe("Succeeded");
        var registered = await http.PostAsJsonAsync($"/api/projects/{projectId}/models", new { name = "served", runId = run.GetProperty("id").GetString() });
        registered.EnsureSuccessStatusCode();
        var modelId = (await registered.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString();
        var expected = await PredictAsync(http, modelId!);
        full.MapsLibTorch().ShouldBeTrue(); // registration exported with TorchSharp: the check sees libtorch where it is loaded
        await full.KillAsync();

        var build = AppProcess.CopyWithoutLibTorch();
        try
        {
            await using var serving = await AppProcess.StartAsync(new Dictionary<string, string>(settings) { ["Workers:InProcess"] = "false" }, full.DataRoot, build);
            using var servingHttp = E2EData.AdminClient(serving.BaseUrl);

            var served = await PredictAsync(servingHttp, modelId!);
            var onnx = await servingHttp.GetAsync($"/api/models/{modelId}/versions/1/download?format=onnx");
            var mappedWhileServing = serving.MapsLibTorch();
            var libTorchFiles = Directory.EnumerateFiles(Path.GetDirectoryName(build)!, "*", SearchOption.AllDirectories).Select(Path.GetFileName)
                .Where(f => AppProcess.IsLibTorch(f!)).ToList();
            // Last, as it makes TorchSharp look for libtorch: on a developer machine it finds NuGet's copy and copies it in.
            var torchSharp = await servingHttp.GetAsync($"/api/models/{modelId}/versions/1/download?format=torchsharp");

            served.ShouldBe(expected, tolerance: 1e-6, customMessage: serving.Log);
            onnx.StatusCode.ShouldBe(System.Net.HttpStatusCode.OK); // the stored export, handed out as it is
            torchSharp.StatusCode.ShouldBe(System.Net.HttpStatusCode.ServiceUnavailable); // needs libtorch: said, not a 500
            (await torchSharp.Content.ReadAsStringAsync()).ShouldContain("without libtorch");
            mappedWhileServing.ShouldBeFalse();
            libTorchFiles.ShouldBeEmpty();
            serving.Log.ShouldContain("from its stored ONNX export");
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(build)!, recursive: true);
        }
    }

    private static async Task<double[]> PredictAsync(HttpClient http, string modelId)
    {
        using var form = new MultipartFormDataContent { { new ByteArrayContent(Png.Solid(12, 12, 200, 30, 40)), "files", "red.png" } };
        var response = await http.PostAsync($"/api/models/{modelId}/versions/1/predict", form);
        response.StatusCode.ShouldBe(System.Net.HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        var prediction = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("predictions")[0];
        return [.. prediction.GetProperty("probabilities").EnumerateObject().OrderBy(p => p.Name).Select(p => p.Value.GetDouble())];
    }
}
