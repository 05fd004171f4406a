using System.IO.Compression;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace TransferHub.Tests.E2E;

public sealed class ExperimentE2ETests(SeededAppFixture app) : IClassFixture<SeededAppFixture>
{
    /// <summary>A labeled version of red versus blue squares (ImageFolder zip import), arranged through the API.</summary>
    private async Task ArrangeVersionAsync()
    {
        using var http = new HttpClient { BaseAddress = new Uri(app.BaseUrl) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", BrowserFixture.AdminToken);
        var project = await (await http.PostAsJsonAsync("/api/projects", new { name = $"Transfer {Guid.NewGuid():N}"[..20] })).Content.ReadFromJsonAsync<JsonElement>();
        var dataset = await (await http.PostAsJsonAsync($"/api/projects/{project.GetProperty("id").GetString()}/datasets", new { name = "squares", kind = "Image", task = "SingleLabel" }))
            .Content.ReadFromJsonAsync<JsonElement>();
        var datasetId = dataset.GetProperty("id").GetString();
        using var zip = new MemoryStream();
        using (var archive = new ZipArchive(zip, ZipArchiveMode.Create, leaveOpen: true))
        {
            for (var i = 0; i < 30; i++)
            {
                var red = i % 2 == 0;
                using var entry = archive.CreateEntry($"{(red ? "red" : "blue")}/{i}.png").Open();
                entry.Write(Png.Solid(12, 12, red ? (byte)(200 + i) : (byte)i, 10, red ? (byte)i : (byte)(200 + i)));
            }
        }
        using var form = new MultipartFormDataContent { { new ByteArrayContent(zip.ToArray()), "files", "squares.zip" } };
        var import = await (await http.PostAsync($"/api/datasets/{datasetId}/imports", form)).Content.ReadFromJsonAsync<JsonElement>();
        for (var i = 0; i < 300 && (await http.GetFromJsonAsync<JsonElement>($"/api/imports/{import.GetProperty("id").GetString()}")).GetProperty("status").GetString() == "Running"; i++)
        {
            await Task.Delay(100); // bounded wait on the import's own status
        }
        (await http.PostAsJsonAsync($"/api/datasets/{datasetId}/versions", new { split = new { train = 0.6, validation = 0.2, test = 0.2 }, seed = 1 })).EnsureSuccessStatusCode();
    }

    [Fact]
    public async Task ScientistRunsABaselineThenATransferExperimentAndSeesVerdicts()
    {
        await ArrangeVersionAsync();
        var page = await app.NewPageAsync();
        await page.SignInAsync(BrowserFixture.AdminEmail, BrowserFixture.AdminPassword);
        await Assertions.Expect(page).ToHaveURLAsync(new Regex("/$"));

        await page.GotoInteractiveAsync("/experiments");
        await page.GetByLabel("Name").FillAsync("source model");
        await page.GetByLabel("Seeds").FillAsync("1");
        await page.GetByLabel("Epochs").FillAsync("3");
        await page.GetByLabel("Image px").FillAsync("12");
        await page.GetByRole(AriaRole.Button, new() { Name = "Run" }).ClickAsync();
        await Assertions.Expect(page).ToHaveURLAsync(new Regex("/experiments/[0-9a-f-]{36}$"));
        await Assertions.Expect(page.Locator("#experiment-status")).ToHaveTextAsync("finished", new() { Timeout = 120_000 });

        await page.GotoInteractiveAsync("/experiments");
        await page.GetByLabel("Name").FillAsync("does transfer help?");
        await page.GetByLabel("Seeds").FillAsync("2");
        await page.GetByLabel("Epochs").FillAsync("3");
        await page.GetByLabel("Image px").FillAsync("12");
        await page.GetByRole(AriaRole.Button, new() { Name = "Rank sources for this version (LogME / LEEP)" }).ClickAsync();
        await Assertions.Expect(page.Locator("#source-scores tbody tr")).ToHaveCountAsync(1, new() { Timeout = 60_000 });
        await page.GetByLabel("Transfer from (a finished run)").ClickAsync();
        await page.Locator(".mud-popover-open .mud-list-item").First.ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Run" }).ClickAsync();
        await Assertions.Expect(page).ToHaveURLAsync(new Regex("/experiments/[0-9a-f-]{36}$"));
        await Assertions.Expect(page.Locator("#experiment-status")).ToHaveTextAsync("finished", new() { Timeout = 180_000 });

        var results = page.Locator("#results-table");
        await Assertions.Expect(results).ToContainTextAsync("baseline");
        await Assertions.Expect(results).ToContainTextAsync("feature-extraction");
        await Assertions.Expect(results).ToContainTextAsync("fine-tune");
        await Assertions.Expect(results.Locator("tbody tr")).ToHaveCountAsync(3);
        await Assertions.Expect(page.Locator("#runs-table tbody tr")).ToHaveCountAsync(6);
        (await results.TextContentAsync())!.ShouldMatch("(positive transfer|negative transfer|inconclusive)");
        await page.ScreenshotAsync("30-experiment-results");
    }
}
