using System.IO.Compression;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace TransferHub.Tests.E2E;

/// <summary>The experiment page's tools beside the main flow: the learning-rate sweep, added seeds, the track record. A class (and
/// app) of their own: their runs would give the main flow's first estimate a history it asserts it has not got.</summary>
public sealed class ExperimentToolsE2ETests(SeededAppFixture app) : IClassFixture<SeededAppFixture>
{
    [Fact]
    public async Task ASweepChoosesTheLearningRateAndThePageSaysWhich()
    {
        await E2EData.ArrangeVersionAsync(app.BaseUrl);
        var page = await app.NewPageAsync();
        await page.SignInAsync(BrowserFixture.AdminEmail, BrowserFixture.AdminPassword);
        await Assertions.Expect(page).ToHaveURLAsync(new Regex("/$"));

        await page.GotoInteractiveAsync("/experiments");
        await page.GetByLabel("Name").FillAsync("swept");
        await page.GetByLabel("Seeds").FillAsync("1");
        await page.GetByLabel("Image px").FillAsync("12");
        await page.Locator("#advanced-settings").ClickAsync();
        await page.Locator("#find-learning-rate").ClickAsync();
        await Assertions.Expect(page.GetByLabel("Learning rate (if the sweep fails)")).ToBeVisibleAsync();
        await page.GetByLabel("Add seeds until decided, up to").FillAsync("3");
        await page.GetByRole(AriaRole.Button, new() { Name = "Run" }).ClickAsync();
        await Assertions.Expect(page).ToHaveURLAsync(new Regex("/experiments/[0-9a-f-]{36}$"));
        await Assertions.Expect(page.Locator("#experiment-status")).ToHaveTextAsync("finished", new() { Timeout = 120_000 });

        await Assertions.Expect(page.Locator("#experiment-budget")).ToContainTextAsync(new Regex(@"baseline: lr [0-9.]+ \(sweep\)"));
        await Assertions.Expect(page.Locator("[data-rate-search='baseline']")).ToContainTextAsync("Sweep of 5 rates × 100 steps, validation macro-F1: 0.0001 → ");
        // Seeds are added only while a transfer arm is inconclusive: a baseline alone keeps its one.
        await Assertions.Expect(page.Locator("#experiment-budget")).ToContainTextAsync("1 seed(s) (more up to 3 while an arm is inconclusive)");
        await page.ScreenshotAsync("32-learning-rate-sweep");
    }

    [Fact]
    public async Task TheTrackRecordSaysHowOftenTheRankingPickedTheArmThatWon()
    {
        var (projectId, versionId) = await E2EData.ArrangeVersionAsync(app.BaseUrl);
        using var http = E2EData.AdminClient(app.BaseUrl);
        // Two sources (the baseline's two seeds), ranked before an experiment that transfers from both.
        var sources = await StartAsync(http, projectId, new { name = "two sources", datasetVersionId = versionId, architecture = "small-cnn", seeds = 2, epochs = 2, imageSize = 12, batchSize = 8 });
        var runs = (await E2EData.WaitForRunsAsync(http, sources, TimeSpan.FromMinutes(2))).Select(r => r.GetProperty("id").GetString()!).ToList();
        (await http.PostAsJsonAsync($"/api/versions/{versionId}/transferability", new { sources = runs, imageSize = 12 })).EnsureSuccessStatusCode();
        var ranked = await StartAsync(http, projectId, new
        {
            name = "ranked", datasetVersionId = versionId, architecture = "small-cnn", seeds = 1, epochs = 2, imageSize = 12, batchSize = 8,
            arms = new[] { new { name = "from first", strategy = "FeatureExtraction", sourceRunId = runs[0] }, new { name = "from second", strategy = "FeatureExtraction", sourceRunId = runs[1] } },
        });
        (await E2EData.WaitForRunsAsync(http, ranked, TimeSpan.FromMinutes(2))).ShouldAllBe(r => r.GetProperty("status").GetString() == "Succeeded");

        var page = await app.NewPageAsync();
        await page.SignInAsync(BrowserFixture.AdminEmail, BrowserFixture.AdminPassword);
        await page.GotoInteractiveAsync("/experiments");
        // This test's version, whichever the form offers first.
        var project = (await http.GetFromJsonAsync<JsonElement>($"/api/projects/{projectId}")).GetProperty("name").GetString()!;
        await page.GetByLabel("Dataset version").ClickAsync();
        await page.Locator(".mud-popover-open .mud-list-item", new() { HasText = project }).ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Rank sources for this version (LogME / LEEP)" }).ClickAsync();
        await Assertions.Expect(page.Locator("#transferability-record"))
            .ToContainTextAsync(new Regex(@"In this project LogME's first choice had the best arm in [01] of 1 experiment\(s\).*; LEEP's in [01]"), new() { Timeout = 60_000 });
        await page.ScreenshotAsync("33-track-record");
    }

    [Fact]
    public async Task LabelsTimedInTheBrowserTurnTheLabelsATransferArmSavesIntoHours()
    {
        // 30 squares imported with their labels (untimed) and 8 red ones left to label in the browser (timed).
        using var http = E2EData.AdminClient(app.BaseUrl);
        var project = await (await http.PostAsJsonAsync("/api/projects", new { name = $"Hours {Guid.NewGuid():N}"[..16] })).Content.ReadFromJsonAsync<JsonElement>();
        var projectId = project.GetProperty("id").GetString()!;
        var dataset = await (await http.PostAsJsonAsync($"/api/projects/{projectId}/datasets", new { name = "squares", kind = "Image", task = "SingleLabel", overlapPercent = 0 }))
            .Content.ReadFromJsonAsync<JsonElement>();
        var datasetId = dataset.GetProperty("id").GetString()!;
        using var zip = new MemoryStream();
        using (var archive = new ZipArchive(zip, ZipArchiveMode.Create, leaveOpen: true))
        {
            for (var i = 0; i < 38; i++)
            {
                var red = i % 2 == 0 || i >= 30;
                using var entry = archive.CreateEntry(i < 30 ? $"{(red ? "red" : "blue")}/{i}.png" : $"{i}.png").Open();
                entry.Write(Png.Solid(12, 12, red ? (byte)(200 + i) : (byte)i, 10, red ? (byte)i : (byte)(200 + i)));
            }
        }
        using var form = new MultipartFormDataContent { { new ByteArrayContent(zip.ToArray()), "files", "squares.zip" } };
        var import = await (await http.PostAsync($"/api/datasets/{datasetId}/imports", form)).Content.ReadFromJsonAsync<JsonElement>();
        await E2EData.WaitForImportAsync(http, import.GetProperty("id").GetString()!);

        var page = await app.NewPageAsync();
        await page.SignInAsync(BrowserFixture.AdminEmail, BrowserFixture.AdminPassword);
        await Assertions.Expect(page).ToHaveURLAsync(new Regex("/$"));
        await page.GotoInteractiveAsync($"/datasets/{datasetId}/label");
        var redKey = (await page.Locator("[data-label='red'] kbd").TextContentAsync())!.Trim();
        var image = page.Locator("#labeling-image");
        for (var i = 0; i < 8; i++)
        {
            var src = (await image.GetAttributeAsync("src"))!;
            await page.Locator("#labeling-surface").PressAsync(redKey);
            await Assertions.Expect(image.Or(page.GetByText("Nothing left for you here")).First).Not.ToHaveAttributeAsync("src", src);
        }
        await Assertions.Expect(page.GetByText("Nothing left for you here")).ToBeVisibleAsync();
        // The last key's label is saved off the page's thread after the page moved on: read the count once it is stored
        // (a bounded poll of the API, as a person's next page load would see it).
        var labeled = 0;
        for (var i = 0; i < 100 && (labeled = (await http.GetFromJsonAsync<JsonElement>($"/api/datasets/{datasetId}")).GetProperty("labeledCount").GetInt32()) < 38; i++)
        {
            await Task.Delay(100);
        }
        labeled.ShouldBe(38);

        // A converged source from this very data, then its frozen features against the baseline at half and all of the labels.
        var version = await http.PostAsJsonAsync($"/api/datasets/{datasetId}/versions", new { split = new { train = 0.6, validation = 0.2, test = 0.2 }, seed = 1 });
        version.EnsureSuccessStatusCode();
        var versionId = (await version.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
        var source = await StartAsync(http, projectId, new { name = "source", datasetVersionId = versionId, architecture = "small-cnn", seeds = 1, epochs = 12, imageSize = 12, batchSize = 8 });
        var sourceRun = (await E2EData.WaitForRunsAsync(http, source, TimeSpan.FromMinutes(2))).Single().GetProperty("id").GetString();
        var shares = await StartAsync(http, projectId, new
        {
            name = "shares", datasetVersionId = versionId, architecture = "small-cnn", seeds = 2, epochs = 4, imageSize = 12, batchSize = 8,
            labelFractions = new[] { 1, 0.5 }, arms = new[] { new { name = "frozen source", strategy = "FeatureExtraction", sourceRunId = sourceRun } },
        });
        await page.GotoInteractiveAsync($"/experiments/{shares}");
        await Assertions.Expect(page.Locator("#experiment-status")).ToHaveTextAsync("finished", new() { Timeout = 180_000 });

        // The imported labels are not timed; the 8 labeled here are, and they price the labels the arm saves.
        await Assertions.Expect(page.Locator("#label-efficiency")).ToContainTextAsync(
            new Regex(@"'frozen source' saves ≈ \d+ s \[\d+ s, \d+ s\] of labeling: \d+ labels \(\d+–\d+\) at a median [0-9.]+ s per label over 8 timed labels\."));
        await page.Locator("#label-efficiency").ScrollIntoViewIfNeededAsync();
        await page.ScreenshotAsync("34-hours-saved");
    }

    [Fact]
    public async Task ANewcomerWhoStartsOnTheExperimentsPageIsOfferedTheSampleProject()
    {
        var email = $"new-sci-{Guid.NewGuid():N}"[..16] + "@e2e.test";
        await Pages.CreateUserAsync(app.BaseUrl, email, "Scientist-Passw0rd!", TransferHub.Shared.Identity.AppRoles.Scientist);
        var page = await app.NewPageAsync();
        await page.SignInAsync(email, "Scientist-Passw0rd!");
        await Assertions.Expect(page).ToHaveURLAsync(new Regex("/$"));

        await page.GotoInteractiveAsync("/experiments");

        await Assertions.Expect(page.GetByText("No experiments yet")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#try-sample")).ToBeEnabledAsync(); // it was offered on an empty home page only
    }

    private static async Task<string> StartAsync(HttpClient http, string projectId, object body)
    {
        var created = await http.PostAsJsonAsync($"/api/projects/{projectId}/experiments", body);
        created.EnsureSuccessStatusCode();
        return (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
    }
}
