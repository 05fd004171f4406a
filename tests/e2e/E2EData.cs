using System.IO.Compression;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace TransferHub.Tests.E2E;

/// <summary>Data arranged through the REST API before a browser test.</summary>
public static class E2EData
{
    /// <summary>A labeled version of red versus blue squares (ImageFolder zip import), arranged through the API; returns the project and version ids.</summary>
    public static async Task<(string ProjectId, string VersionId)> ArrangeVersionAsync(string baseUrl, int images = 30)
    {
        using var http = AdminClient(baseUrl);
        var project = await (await http.PostAsJsonAsync("/api/projects", new { name = $"Transfer {Guid.NewGuid():N}"[..20] })).Content.ReadFromJsonAsync<JsonElement>();
        var dataset = await (await http.PostAsJsonAsync($"/api/projects/{project.GetProperty("id").GetString()}/datasets", new { name = "squares", kind = "Image", task = "SingleLabel" }))
            .Content.ReadFromJsonAsync<JsonElement>();
        var datasetId = dataset.GetProperty("id").GetString();
        using var zip = new MemoryStream();
        using (var archive = new ZipArchive(zip, ZipArchiveMode.Create, leaveOpen: true))
        {
            for (var i = 0; i < images; i++)
            {
                var red = i % 2 == 0;
                using var entry = archive.CreateEntry($"{(red ? "red" : "blue")}/{i}.png").Open();
                entry.Write(Png.Solid(12, 12, red ? (byte)(200 + i) : (byte)i, 10, red ? (byte)i : (byte)(200 + i)));
            }
        }
        using var form = new MultipartFormDataContent { { new ByteArrayContent(zip.ToArray()), "files", "squares.zip" } };
        var import = await (await http.PostAsync($"/api/datasets/{datasetId}/imports", form)).Content.ReadFromJsonAsync<JsonElement>();
        await WaitForImportAsync(http, import.GetProperty("id").GetString()!);
        var version = await http.PostAsJsonAsync($"/api/datasets/{datasetId}/versions", new { split = new { train = 0.6, validation = 0.2, test = 0.2 }, seed = 1 });
        version.EnsureSuccessStatusCode();
        return (project.GetProperty("id").GetString()!, (await version.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!);
    }

    /// <summary>Waits (bounded, up to 30 s) until an import is no longer running, on the import's own status.</summary>
    public static async Task WaitForImportAsync(HttpClient http, string importId)
    {
        for (var i = 0; i < 300 && (await http.GetFromJsonAsync<JsonElement>($"/api/imports/{importId}")).GetProperty("status").GetString() == "Running"; i++)
        {
            await Task.Delay(100);
        }
    }

    /// <summary>A run's stored epochs, once there are at least <paramref name="atLeast"/> (bounded poll of the API, up to two minutes).</summary>
    public static async Task<List<int>> EpochsAsync(HttpClient http, string runId, int atLeast)
    {
        for (var i = 0; ; i++)
        {
            var epochs = (await http.GetFromJsonAsync<JsonElement>($"/api/runs/{runId}/metrics")).EnumerateArray().Select(m => m.GetProperty("epoch").GetInt32()).ToList();
            if (epochs.Count >= atLeast || i > 1200)
            {
                return epochs;
            }
            await Task.Delay(100);
        }
    }

    /// <summary>An experiment's runs once every one has ended (bounded poll of the API).</summary>
    public static async Task<List<JsonElement>> WaitForRunsAsync(HttpClient http, string experimentId, TimeSpan limit)
    {
        var deadline = DateTimeOffset.UtcNow + limit;
        while (true)
        {
            var runs = (await http.GetFromJsonAsync<JsonElement>($"/api/experiments/{experimentId}")).GetProperty("runs").EnumerateArray().ToList();
            if (runs.All(r => r.GetProperty("status").GetString() is "Succeeded" or "Failed" or "Cancelled") || DateTimeOffset.UtcNow > deadline)
            {
                return runs;
            }
            await Task.Delay(250);
        }
    }

    /// <summary>Waits (bounded, up to 60 s) until the named worker is online.</summary>
    public static async Task WaitForWorkerAsync(HttpClient http, string name)
    {
        for (var i = 0; i < 600 && !(await http.GetFromJsonAsync<JsonElement>("/api/workers")).EnumerateArray()
                 .Any(w => w.GetProperty("workerId").GetString() == name && w.GetProperty("online").GetBoolean()); i++)
        {
            await Task.Delay(100);
        }
    }

    /// <summary>An HTTP client for a node's API, authenticated as the seeded admin.</summary>
    public static HttpClient AdminClient(string baseUrl)
    {
        var http = new HttpClient { BaseAddress = new Uri(baseUrl) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", BrowserFixture.AdminToken);
        return http;
    }

    /// <summary>A new worker token that never expires, made through the admin API.</summary>
    public static async Task<string> WorkerTokenAsync(HttpClient admin, string name) =>
        (await (await admin.PostAsJsonAsync("/api/admin/worker-tokens", new { name, days = 0 })).Content.ReadFromJsonAsync<JsonElement>())
            .GetProperty("token").GetString()!;
}
