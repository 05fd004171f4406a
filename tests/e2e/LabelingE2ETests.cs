using System.IO.Compression;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace TransferHub.Tests.E2E;

public sealed class LabelingE2ETests(SeededAppFixture app) : IClassFixture<SeededAppFixture>
{
    private const string Password = "User-Passw0rd!";

    private HttpClient Api() => E2EData.AdminClient(app.BaseUrl);

    /// <summary>A project with two labelers and an empty image dataset with three labels, arranged through the API.</summary>
    private async Task<(Guid DatasetId, string LabelerA, string LabelerB)> ArrangeAsync()
    {
        using var http = Api();
        var tag = Guid.NewGuid().ToString("N")[..6];
        var project = await (await http.PostAsJsonAsync("/api/projects", new { name = $"Colors {tag}" })).Content.ReadFromJsonAsync<JsonElement>();
        var projectId = project.GetProperty("id").GetString();
        var labelers = new[] { $"ann-a-{tag}@e2e.test", $"ann-b-{tag}@e2e.test" };
        foreach (var email in labelers)
        {
            await Pages.CreateUserAsync(app.BaseUrl, email, Password, "Labeler");
            (await http.PostAsJsonAsync($"/api/projects/{projectId}/members", new { email, role = "Labeler" })).EnsureSuccessStatusCode();
        }
        var dataset = await (await http.PostAsJsonAsync($"/api/projects/{projectId}/datasets", new
        {
            name = "swatches", kind = "Image", task = "SingleLabel", overlapPercent = 0, guideline = "Pick the **dominant** colour.",
            labels = new[] { new { name = "red" }, new { name = "green" }, new { name = "blue" } },
        })).Content.ReadFromJsonAsync<JsonElement>();
        return (Guid.Parse(dataset.GetProperty("id").GetString()!), labelers[0], labelers[1]);
    }

    /// <summary>Twelve small PNG swatches in a zip, without class folders (so they arrive unlabeled).</summary>
    private static string SwatchZip()
    {
        var path = Path.Combine(Path.GetTempPath(), $"swatches-{Guid.NewGuid():N}.zip");
        using var zip = ZipFile.Open(path, ZipArchiveMode.Create);
        for (var i = 0; i < 12; i++)
        {
            using var entry = zip.CreateEntry($"swatch-{i:D2}.png").Open();
            entry.Write(Png.Solid(24 + i, 24, (byte)(i * 20), (byte)(255 - i * 20), 128));
        }
        return path;
    }

    /// <summary>The twelve swatches imported through the API, waited for.</summary>
    private static async Task ImportSwatchesAsync(HttpClient api, Guid datasetId)
    {
        using var form = new MultipartFormDataContent { { new ByteArrayContent(await File.ReadAllBytesAsync(SwatchZip())), "files", "swatches.zip" } };
        var import = await (await api.PostAsync($"/api/datasets/{datasetId}/imports", form)).Content.ReadFromJsonAsync<JsonElement>();
        await WaitForImportAsync(api, import.GetProperty("id").GetString()!);
    }

    [Fact]
    public async Task OwnerImportsAZipOfImagesInTheBrowser()
    {
        var (datasetId, _, _) = await ArrangeAsync();
        var page = await app.NewPageAsync();
        await page.SignInAsync(BrowserFixture.AdminEmail, BrowserFixture.AdminPassword);
        await Assertions.Expect(page).ToHaveURLAsync(new Regex("/$"));

        await page.GotoInteractiveAsync($"/datasets/{datasetId}");
        await page.Locator("input[type=file]").SetInputFilesAsync(SwatchZip());

        await Assertions.Expect(page.Locator(".import-counts").First).ToHaveTextAsync("12 added · 0 duplicates skipped · 0 refused", new() { Timeout = 30_000 });
        await Assertions.Expect(page.Locator("#progress-text")).ToContainTextAsync("0 of 12 items labeled");
        await Assertions.Expect(page.Locator("#tab-items")).ToHaveTextAsync("Items · 12");
        await page.ScreenshotAsync("20-dataset-after-import");
        // The data manager is the dataset's second view, one click (or link) away.
        await page.Locator("#tab-items").ClickAsync();
        await Assertions.Expect(page).ToHaveURLAsync(new Regex($"/datasets/{datasetId}/items$"));
        await Assertions.Expect(page.Locator("#data-manager .item-row-thumb")).ToHaveCountAsync(12);
        await Assertions.Expect(page.Locator("#tab-items")).ToHaveClassAsync(new Regex("active"));
    }

    [Fact]
    public async Task TheDataManagerFindsItemsAndAReviewerRelabelsASelectionInTheBrowser()
    {
        var (datasetId, _, _) = await ArrangeAsync();
        using var api = Api();
        await ImportSwatchesAsync(api, datasetId);
        var items = (await api.GetFromJsonAsync<JsonElement>($"/api/datasets/{datasetId}/items")).GetProperty("items").EnumerateArray().ToList();
        foreach (var item in items.Take(3))
        {
            (await api.PutAsJsonAsync($"/api/items/{item.GetProperty("id").GetString()}/annotation", new { labels = new[] { "red" } })).EnsureSuccessStatusCode();
        }
        var page = await app.NewPageAsync();
        await page.SignInAsync(BrowserFixture.AdminEmail, BrowserFixture.AdminPassword);
        await Assertions.Expect(page).ToHaveURLAsync(new Regex("/$"));
        // The first page of items is in the server's HTML: on screen at the first paint, before the circuit starts.
        var html = await (await page.APIRequest.GetAsync($"/datasets/{datasetId}/items")).TextAsync();
        Regex.Matches(html, "class=\"[^\"]*item-open").Count.ShouldBe(12);
        await page.GotoInteractiveAsync($"/datasets/{datasetId}/items");
        var rows = page.Locator("#items-table tbody tr");
        await Assertions.Expect(rows).ToHaveCountAsync(12);

        await page.Locator("#items-search").FillAsync("swatch-1");
        await Assertions.Expect(rows).ToHaveCountAsync(2); // swatch-10 and swatch-11, searched in the database
        await page.Locator("#items-search").FillAsync("");
        await Assertions.Expect(rows).ToHaveCountAsync(12);
        // The annotator filter lists who labeled here (the admin, three items) and "Anyone".
        await Assertions.Expect(page.Locator("#items-annotator option")).ToHaveTextAsync(["Anyone", BrowserFixture.AdminEmail]);
        await page.GetByLabel("Annotator").SelectOptionAsync(new SelectOptionValue { Label = BrowserFixture.AdminEmail });
        await Assertions.Expect(rows).ToHaveCountAsync(3);
        await page.GetByLabel("Annotator").SelectOptionAsync(new SelectOptionValue { Label = "Anyone" });
        await Assertions.Expect(rows).ToHaveCountAsync(12);

        // Paged in the database: 10 a page, then the last two; the header's box selects the page shown.
        await page.GetByLabel("Rows per page").SelectOptionAsync("10");
        await Assertions.Expect(page.Locator("#items-range")).ToHaveTextAsync("1–10 of 12");
        await Assertions.Expect(rows).ToHaveCountAsync(10);
        await page.Locator("#items-next").ClickAsync();
        await Assertions.Expect(page.Locator("#items-range")).ToHaveTextAsync("11–12 of 12");
        await Assertions.Expect(rows.Locator(".item-open")).ToHaveTextAsync(["swatch-10.png", "swatch-11.png"]);
        await page.Locator("#items-table thead input[type=checkbox]").CheckAsync();
        await Assertions.Expect(page.Locator("#bulk-bar")).ToContainTextAsync("2 selected");
        await page.GetByLabel("Status").SelectOptionAsync(new SelectOptionValue { Label = "Labeled" });
        await Assertions.Expect(rows).ToHaveCountAsync(3);
        await Assertions.Expect(rows.Locator(".item-label")).ToHaveTextAsync(["red", "red", "red"]);

        await rows.Nth(0).Locator("input[type=checkbox]").CheckAsync();
        await rows.Nth(1).Locator("input[type=checkbox]").CheckAsync();
        await Assertions.Expect(page.Locator("#bulk-bar")).ToContainTextAsync("2 selected");
        await page.Locator("#bulk-bar").GetByLabel("Set label").SelectOptionAsync("blue");
        await Assertions.Expect(page.Locator("#bulk-relabel")).ToBeEnabledAsync();
        await page.ScreenshotAsync("25-data-manager-selection");
        await page.Locator("#bulk-relabel").ClickAsync();
        await Assertions.Expect(page.GetByText("2 items as blue.")).ToBeVisibleAsync();
        await Assertions.Expect(rows.Locator(".item-label")).ToHaveTextAsync(["blue", "blue", "red"]);

        await rows.Nth(0).Locator(".item-open").ClickAsync();
        var history = page.Locator("#item-history");
        await Assertions.Expect(history).ToContainTextAsync("labeled it red");
        await Assertions.Expect(history).ToContainTextAsync("settled it as blue");
        await Assertions.Expect(page.Locator("#item-detail-image")).ToBeVisibleAsync();
        await page.ScreenshotAsync("26-data-manager-item-history");
        var blues = await api.GetFromJsonAsync<JsonElement>($"/api/datasets/{datasetId}/items?label=blue");
        blues.GetProperty("total").GetInt32().ShouldBe(2);
    }

    [Fact]
    public async Task TwoAnnotatorsLabelTogetherSeeEachOtherAndNeverGetTheSameItem()
    {
        var (datasetId, emailA, emailB) = await ArrangeAsync();
        using (var http = Api())
        {
            using var form = new MultipartFormDataContent { { new ByteArrayContent(await File.ReadAllBytesAsync(SwatchZip())), "files", "swatches.zip" } };
            var import = await (await http.PostAsync($"/api/datasets/{datasetId}/imports", form)).Content.ReadFromJsonAsync<JsonElement>();
            await WaitForImportAsync(http, import.GetProperty("id").GetString()!);
        }
        var a = await app.NewPageAsync();
        var b = await app.NewPageAsync();
        await a.SignInAsync(emailA, Password);
        await b.SignInAsync(emailB, Password);
        await Assertions.Expect(a).ToHaveURLAsync(new Regex("/$"));
        await Assertions.Expect(b).ToHaveURLAsync(new Regex("/$"));

        await a.GotoInteractiveAsync($"/datasets/{datasetId}/label");
        await b.GotoInteractiveAsync($"/datasets/{datasetId}/label");

        // Each sees the other arrive, live.
        await Assertions.Expect(a.Locator($"#presence [title='{emailB}']")).ToBeVisibleAsync();
        await Assertions.Expect(b.Locator($"#presence [title='{emailA}']")).ToBeVisibleAsync();
        // Two labelers whose e-mails start alike are told apart (both were a grey "A").
        await Assertions.Expect(a.Locator($"#presence [title='{emailB}']")).ToHaveTextAsync("AB");
        await Assertions.Expect(b.Locator($"#presence [title='{emailA}']")).ToHaveTextAsync("AA");
        await a.ScreenshotAsync("21-labeling-page");

        var seenByA = new List<string>();
        var seenByB = new List<string>();
        var doneA = false;
        var doneB = false;
        while (!doneA || !doneB)
        {
            if (!doneA)
            {
                doneA = await LabelOneAsync(a, "1", seenByA);
            }
            if (!doneB)
            {
                doneB = await LabelOneAsync(b, "3", seenByB);
            }
        }

        seenByA.Intersect(seenByB).ShouldBeEmpty();
        (seenByA.Count + seenByB.Count).ShouldBe(12);
        seenByA.Count.ShouldBeGreaterThan(0);
        seenByB.Count.ShouldBeGreaterThan(0);
        using var api = Api();
        var dataset = await api.GetFromJsonAsync<JsonElement>($"/api/datasets/{datasetId}");
        dataset.GetProperty("labeledCount").GetInt32().ShouldBe(12);
        var reds = await api.GetFromJsonAsync<JsonElement>($"/api/datasets/{datasetId}/items?label=red");
        var blues = await api.GetFromJsonAsync<JsonElement>($"/api/datasets/{datasetId}/items?label=blue");
        reds.GetProperty("total").GetInt32().ShouldBe(seenByA.Count);
        blues.GetProperty("total").GetInt32().ShouldBe(seenByB.Count);
        await Assertions.Expect(a.Locator("#session-count")).ToHaveTextAsync($"{seenByA.Count} labeled this session");

        // The dataset page shows the result to a third person.
        var owner = await app.NewPageAsync();
        await owner.SignInAsync(BrowserFixture.AdminEmail, BrowserFixture.AdminPassword);
        await Assertions.Expect(owner).ToHaveURLAsync(new Regex("/$"));
        await owner.GotoInteractiveAsync($"/datasets/{datasetId}");
        await Assertions.Expect(owner.Locator("#progress-text")).ToContainTextAsync("12 of 12 items labeled");

        // Snapshot, export as ImageFolder, import the export into a new dataset: the same images with the same labels.
        await owner.GetByRole(AriaRole.Button, new() { Name = "Snapshot" }).ClickAsync();
        await Assertions.Expect(owner.Locator("#version-1")).ToContainTextAsync("12 items");
        await owner.ScreenshotAsync("22-dataset-labeled");
        var download = await owner.RunAndWaitForDownloadAsync(() => owner.GetByText("ImageFolder zip").ClickAsync());
        var exported = Path.Combine(Path.GetTempPath(), $"export-{Guid.NewGuid():N}.zip");
        await download.SaveAsAsync(exported);
        var projectId = dataset.GetProperty("projectId").GetString();
        var copy = await (await api.PostAsJsonAsync($"/api/projects/{projectId}/datasets", new { name = "swatches copy", kind = "Image", task = "SingleLabel" }))
            .Content.ReadFromJsonAsync<JsonElement>();
        await owner.GotoInteractiveAsync($"/datasets/{copy.GetProperty("id").GetString()}");
        await owner.Locator("input[type=file]").SetInputFilesAsync(exported);
        await Assertions.Expect(owner.Locator(".import-counts").First).ToHaveTextAsync("12 added · 0 duplicates skipped · 0 refused", new() { Timeout = 30_000 });
        (await ItemsAsync(api, copy.GetProperty("id").GetString()!)).ShouldBe(await ItemsAsync(api, datasetId.ToString()));
    }

    private static async Task<List<string>> ItemsAsync(HttpClient api, string datasetId)
    {
        var page = await api.GetFromJsonAsync<JsonElement>($"/api/datasets/{datasetId}/items?pageSize=100");
        return [.. page.GetProperty("items").EnumerateArray()
            .Select(i => $"{i.GetProperty("contentHash").GetString()}:{string.Join('|', i.GetProperty("finalLabels").EnumerateArray().Select(l => l.GetString()))}").Order()];
    }

    [Fact]
    public async Task AReviewerSettlesTheReviewQueueByKeyboardWithZoomAndTheNextImagePrefetched()
    {
        var (datasetId, _, _) = await ArrangeAsync();
        using var api = Api();
        await ImportSwatchesAsync(api, datasetId);
        var ids = (await api.GetFromJsonAsync<JsonElement>($"/api/datasets/{datasetId}/items")).GetProperty("items").EnumerateArray()
            .Take(3).Select(i => i.GetProperty("id").GetString()).ToList();
        (await api.PostAsJsonAsync($"/api/datasets/{datasetId}/items/bulk", new { itemIds = ids, action = "review" })).EnsureSuccessStatusCode();
        var page = await app.NewPageAsync();
        await page.SignInAsync(BrowserFixture.AdminEmail, BrowserFixture.AdminPassword);
        await Assertions.Expect(page).ToHaveURLAsync(new Regex("/$"));

        await page.GotoInteractiveAsync($"/datasets/{datasetId}/review");
        await Assertions.Expect(page.Locator("#review-count")).ToHaveTextAsync("0 of 3 settled");
        await page.Locator("img.prefetch").WaitForAsync(new() { State = WaitForSelectorState.Attached });
        var image = page.Locator("#labeling-image");
        var first = (await image.GetAttributeAsync("src"))!;
        (await page.Locator("img.prefetch").GetAttributeAsync("src")).ShouldNotBe(first);
        var surface = page.Locator("#labeling-surface");
        await surface.PressAsync("+");
        await Assertions.Expect(page.GetByText("zoom 1.5×")).ToBeVisibleAsync();
        await page.ScreenshotAsync("27-review-by-keyboard");
        await surface.PressAsync("1"); // red
        await Assertions.Expect(image).Not.ToHaveAttributeAsync("src", first);
        await Assertions.Expect(page.Locator("#review-count")).ToHaveTextAsync("1 of 3 settled");
        await surface.PressAsync("k"); // back: the settled item, its label selected
        await Assertions.Expect(image).ToHaveAttributeAsync("src", first);
        await Assertions.Expect(page.Locator(".label-key.selected")).ToHaveAttributeAsync("data-label", "red");
        await surface.PressAsync("j");
        await surface.PressAsync("2");
        await surface.PressAsync("3");
        await Assertions.Expect(page.GetByText("All 3 settled")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#saving")).ToHaveCountAsync(0); // the last choices are saved behind the page
        await Assertions.Expect(page.GetByText("Each item's final label is saved")).ToBeVisibleAsync();

        foreach (var label in new[] { "red", "green", "blue" })
        {
            (await api.GetFromJsonAsync<JsonElement>($"/api/datasets/{datasetId}/items?label={label}")).GetProperty("total").GetInt32().ShouldBe(1);
        }
        (await api.GetFromJsonAsync<JsonElement>($"/api/datasets/{datasetId}/items?status=review")).GetProperty("total").GetInt32().ShouldBe(0);
    }

    [Fact]
    public async Task LabelsImportedAsPreLabelsAreSuggestionsTheAnnotatorAcceptsWithEnter()
    {
        var (datasetId, emailA, _) = await ArrangeAsync();
        var owner = await app.NewPageAsync();
        await owner.SignInAsync(BrowserFixture.AdminEmail, BrowserFixture.AdminPassword);
        await Assertions.Expect(owner).ToHaveURLAsync(new Regex("/$"));
        await owner.GotoInteractiveAsync($"/datasets/{datasetId}");
        var zip = Path.Combine(Path.GetTempPath(), $"guesses-{Guid.NewGuid():N}.zip");
        using (var archive = ZipFile.Open(zip, ZipArchiveMode.Create))
        {
            for (var i = 0; i < 3; i++)
            {
                using var entry = archive.CreateEntry($"green/g-{i}.png").Open();
                entry.Write(Png.Solid(20 + i, 20, 10, 200, 10));
            }
        }

        await owner.GetByLabel("Labels in the files are").ClickAsync();
        await owner.Locator(".mud-popover-open .mud-list-item", new() { HasText = "Pre-labels to confirm" }).ClickAsync();
        // The choice has reached the server (its helper text says so) before the files go.
        await Assertions.Expect(owner.GetByText("Suggestions: annotators label those items")).ToBeVisibleAsync();
        await owner.Locator("input[type=file]").SetInputFilesAsync(zip);
        await Assertions.Expect(owner.Locator(".import-counts").First).ToHaveTextAsync("3 added · 0 duplicates skipped · 0 refused", new() { Timeout = 30_000 });
        await Assertions.Expect(owner.Locator(".import-report").First).ToContainTextAsync("labels in the files are pre-labels");
        await Assertions.Expect(owner.Locator("#progress-text")).ToContainTextAsync("0 of 3 items labeled"); // suggestions, not labels

        var page = await app.NewPageAsync();
        await page.SignInAsync(emailA, Password);
        await Assertions.Expect(page).ToHaveURLAsync(new Regex("/$"));
        await page.GotoInteractiveAsync($"/datasets/{datasetId}/label");
        await Assertions.Expect(page.Locator("#model-suggestion")).ToContainTextAsync("Imported pre-label: green");
        var first = await page.Locator("#labeling-image").GetAttributeAsync("src");
        await page.ScreenshotAsync("24-imported-pre-label");
        await page.Locator("#labeling-surface").PressAsync("Enter");
        await Assertions.Expect(page.Locator("#labeling-image")).Not.ToHaveAttributeAsync("src", first!);
        await Assertions.Expect(owner.Locator("#progress-text")).ToContainTextAsync("1 of 3 items labeled");
        using var api = Api();
        var greens = await api.GetFromJsonAsync<JsonElement>($"/api/datasets/{datasetId}/items?label=green");
        greens.GetProperty("total").GetInt32().ShouldBe(1);
    }

    [Fact]
    public async Task KeysPressedDuringASlowSaveNeverRelabelTheItemThePersonLeft()
    {
        var (datasetId, emailA, _) = await ArrangeAsync();
        using var api = Api();
        await ImportSwatchesAsync(api, datasetId);
        var page = await app.NewPageAsync();
        await page.SignInAsync(emailA, Password);
        await Assertions.Expect(page).ToHaveURLAsync(new Regex("/$"));
        await page.GotoInteractiveAsync($"/datasets/{datasetId}/label");
        await page.Locator("img.prefetch").WaitForAsync(new() { State = WaitForSelectorState.Attached }); // the next item is loaded
        var first = (await page.Locator("#labeling-image").GetAttributeAsync("src"))!;

        // A slow save, as under load: the test holds the database's write lock while the person keeps pressing keys.
        await using var holder = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(app.DataRoot!, "transferhub.db")}");
        await holder.OpenAsync();
        await using (var begin = holder.CreateCommand())
        {
            begin.CommandText = "BEGIN IMMEDIATE";
            await begin.ExecuteNonQueryAsync();
        }
        await page.Keyboard.PressAsync("1");
        await Assertions.Expect(page.Locator("#saving")).ToHaveTextAsync("saving 1…"); // the page says so, and has moved on
        await Assertions.Expect(page.Locator("#labeling-image")).Not.ToHaveAttributeAsync("src", first);
        for (var i = 0; i < 4; i++)
        {
            await page.Keyboard.PressAsync("3"); // the first labels the second item; the rest wait for its save, editing nothing
        }
        // Keys are handled in order: once "?" has opened the help, every press before it was taken or refused — while the
        // database is still locked (a press handled after the commit would land on the next item, rightly: it is on screen).
        await page.Keyboard.PressAsync("?");
        await Assertions.Expect(page.Locator("#shortcut-help")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#saving")).ToHaveTextAsync("saving 2…");
        await using (var commit = holder.CreateCommand())
        {
            commit.CommandText = "COMMIT";
            await commit.ExecuteNonQueryAsync();
        }
        await Assertions.Expect(page.Locator("#saving")).ToHaveCountAsync(0);

        // No item was changed twice: the item left with "1" stayed red (once, a key pressed during a slow save relabeled it).
        var counted = int.Parse((await page.Locator("#session-count").TextContentAsync())!.Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
        var items = (await api.GetFromJsonAsync<JsonElement>($"/api/datasets/{datasetId}/items?pageSize=100")).GetProperty("items").EnumerateArray().ToList();
        var changes = new List<int>();
        foreach (var item in items)
        {
            changes.Add((await api.GetFromJsonAsync<JsonElement>($"/api/items/{item.GetProperty("id").GetString()}/history")).GetArrayLength());
        }
        (await api.GetFromJsonAsync<JsonElement>($"/api/datasets/{datasetId}/items?label=red")).GetProperty("total").GetInt32().ShouldBe(1);
        (await api.GetFromJsonAsync<JsonElement>($"/api/datasets/{datasetId}/items?label=blue")).GetProperty("total").GetInt32().ShouldBe(1);
        changes.ShouldAllBe(c => c <= 1);
        changes.Sum().ShouldBe(counted);
        counted.ShouldBe(2);
        (await api.GetFromJsonAsync<JsonElement>($"/api/datasets/{datasetId}")).GetProperty("labeledCount").GetInt32().ShouldBe(counted);
    }

    [Fact]
    public async Task KeyboardHelpAndUndoWorkOnTheLabelingPage()
    {
        var (datasetId, emailA, _) = await ArrangeAsync();
        using (var http = Api())
        {
            using var form = new MultipartFormDataContent { { new ByteArrayContent(await File.ReadAllBytesAsync(SwatchZip())), "files", "swatches.zip" } };
            var import = await (await http.PostAsync($"/api/datasets/{datasetId}/imports", form)).Content.ReadFromJsonAsync<JsonElement>();
            await WaitForImportAsync(http, import.GetProperty("id").GetString()!);
        }
        var page = await app.NewPageAsync();
        await page.SignInAsync(emailA, Password);
        await Assertions.Expect(page).ToHaveURLAsync(new Regex("/$"));
        await page.GotoInteractiveAsync($"/datasets/{datasetId}/label");
        var first = await page.Locator("#labeling-image").GetAttributeAsync("src");

        await page.Keyboard.PressAsync("?");
        await Assertions.Expect(page.Locator("#shortcut-help")).ToBeVisibleAsync();
        await page.ScreenshotAsync("23-labeling-help");
        await page.Keyboard.PressAsync("Escape");
        await page.Keyboard.PressAsync("2");
        await Assertions.Expect(page.Locator("#labeling-image")).Not.ToHaveAttributeAsync("src", first!);
        await page.Keyboard.PressAsync("u");

        // Undo brings the first item back, unlabeled, for another go.
        await Assertions.Expect(page.Locator("#labeling-image")).ToHaveAttributeAsync("src", first!);
        await Assertions.Expect(page.Locator("#reviewing-chip")).ToBeVisibleAsync();
        using var api = Api();
        var dataset = await api.GetFromJsonAsync<JsonElement>($"/api/datasets/{datasetId}");
        dataset.GetProperty("labeledCount").GetInt32().ShouldBe(0);

        // Closing the snackbar with its x takes focus off the surface; the keys still work (they once went silent).
        await page.Locator(".mud-snackbar button").First.ClickAsync();
        await Assertions.Expect(page.Locator(".mud-snackbar")).ToHaveCountAsync(0);
        (await page.EvaluateAsync<bool>("() => document.activeElement?.id === 'labeling-surface'")).ShouldBeFalse();
        await page.Keyboard.PressAsync("2");
        await Assertions.Expect(page.Locator("#labeling-image")).Not.ToHaveAttributeAsync("src", first!);
        await Assertions.Expect(page.Locator("#saving")).ToHaveCountAsync(0);
        (await api.GetFromJsonAsync<JsonElement>($"/api/datasets/{datasetId}")).GetProperty("labeledCount").GetInt32().ShouldBe(1);
    }

    /// <summary>Presses a label key and waits for the next item; true when the queue was already empty for this page.</summary>
    private static async Task<bool> LabelOneAsync(IPage page, string key, List<string> seen)
    {
        var image = page.Locator("#labeling-image");
        if (await page.GetByText("Nothing left for you here").IsVisibleAsync())
        {
            return true;
        }
        await image.WaitForAsync();
        var src = (await image.GetAttributeAsync("src"))!;
        seen.Add(src);
        await page.Keyboard.PressAsync(key);
        await Assertions.Expect(image.Or(page.GetByText("Nothing left for you here")).First).Not.ToHaveAttributeAsync("src", src);
        return false;
    }

    private static async Task WaitForImportAsync(HttpClient http, string importId)
    {
        // The import runs in the background; its status is the condition we wait on (bounded).
        for (var i = 0; i < 300; i++)
        {
            var import = await http.GetFromJsonAsync<JsonElement>($"/api/imports/{importId}");
            if (import.GetProperty("status").GetString() != "Running")
            {
                import.GetProperty("added").GetInt32().ShouldBe(12);
                return;
            }
            await Task.Delay(100);
        }
        throw new TimeoutException("The import did not finish.");
    }
}
