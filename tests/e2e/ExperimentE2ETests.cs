using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace TransferHub.Tests.E2E;

public sealed class ExperimentE2ETests(SeededAppFixture app) : IClassFixture<SeededAppFixture>
{
    [Fact]
    public async Task ScientistRunsABaselineThenATransferExperimentAndSeesVerdicts()
    {
        await E2EData.ArrangeVersionAsync(app.BaseUrl);
        var page = await app.NewPageAsync();
        await page.SignInAsync(BrowserFixture.AdminEmail, BrowserFixture.AdminPassword);
        await Assertions.Expect(page).ToHaveURLAsync(new Regex("/$"));

        await page.GotoInteractiveAsync("/experiments");
        await page.GetByLabel("Name").FillAsync("source model");
        await page.GetByLabel("Seeds").FillAsync("1");
        await page.GetByLabel("Image px").FillAsync("12");
        await page.GetByLabel("Label shares %").FillAsync("50, 100");
        await page.GetByLabel("Label shares %").PressAsync("Tab");
        // No budget given: the default, in optimizer steps, shown in epochs of this version's training split (18 images).
        await Assertions.Expect(page.Locator("#estimate")).ToContainTextAsync("2 run(s) of ≈ 400 steps = 400 epochs of 1 batch of 18 · time unknown");
        await page.GetByRole(AriaRole.Button, new() { Name = "Run" }).ClickAsync();
        await Assertions.Expect(page).ToHaveURLAsync(new Regex("/experiments/[0-9a-f-]{36}$"));
        await Assertions.Expect(page.Locator("#experiment-status")).ToHaveTextAsync("finished", new() { Timeout = 120_000 });
        await Assertions.Expect(page.Locator("#runs-table tbody tr")).ToHaveCountAsync(2);
        await Assertions.Expect(page.Locator("#label-efficiency polyline")).ToHaveCountAsync(1);
        await Assertions.Expect(page.Locator("#experiment-budget")).ToContainTextAsync("budget 400 optimizer steps per run");
        await Assertions.Expect(page.Locator("#runs-table .run-converged")).ToHaveCountAsync(2);

        await page.GotoInteractiveAsync("/experiments");
        await page.GetByLabel("Name").FillAsync("does transfer help?");
        await page.GetByLabel("Seeds").FillAsync("2");
        // The advanced override: three fixed epochs (three optimizer steps) starve the baseline.
        await page.Locator("#advanced-settings").ClickAsync();
        await page.GetByLabel("Fixed epochs (instead of a budget)").FillAsync("3");
        await page.GetByLabel("Image px").FillAsync("12");
        await page.GetByLabel("Image px").PressAsync("Tab");
        await Assertions.Expect(page.Locator("#estimate")).ToContainTextAsync("run(s) of 3 epochs · about"); // paced by the first experiment's steps
        await page.GetByRole(AriaRole.Button, new() { Name = "Rank sources for this version (LogME / LEEP)" }).ClickAsync();
        await Assertions.Expect(page.Locator("#source-scores tbody tr")).ToHaveCountAsync(2, new() { Timeout = 60_000 }); // the 50 % and the 100 % run
        await Assertions.Expect(page.Locator("#transferability-record")).ToContainTextAsync("No track record yet");
        await page.GetByLabel("Transfer from").ClickAsync();
        await page.Locator(".mud-popover-open .mud-list-item").First.ClickAsync();
        // Baseline, feature extraction, fine-tune and (on by default with a source) the frozen-random control over 2 seeds.
        await Assertions.Expect(page.Locator("#estimate")).ToContainTextAsync("8 run(s)");
        await page.ScreenshotAsync("29-experiment-form");
        await page.GetByRole(AriaRole.Button, new() { Name = "Run" }).ClickAsync();
        await Assertions.Expect(page).ToHaveURLAsync(new Regex("/experiments/[0-9a-f-]{36}$"));
        await Assertions.Expect(page.Locator("#experiment-status")).ToHaveTextAsync("finished", new() { Timeout = 180_000 });

        var results = page.Locator("#results-table");
        await Assertions.Expect(results).ToContainTextAsync("baseline");
        await Assertions.Expect(results).ToContainTextAsync("feature-extraction");
        await Assertions.Expect(results).ToContainTextAsync("fine-tune");
        await Assertions.Expect(results.Locator("tbody tr")).ToHaveCountAsync(4);
        await Assertions.Expect(results.Locator("tr", new() { HasText = "frozen-random" })).ToContainTextAsync("control");
        await Assertions.Expect(page.Locator("#runs-table tbody tr")).ToHaveCountAsync(8);
        await Assertions.Expect(page.Locator("#label-efficiency")).ToHaveCountAsync(0);
        // A verdict against a baseline that could not converge is refused, with the reason.
        await Assertions.Expect(results.Locator("tr", new() { HasText = "fine-tune" })).ToContainTextAsync("unreliable");
        await Assertions.Expect(results.Locator("tr", new() { HasText = "fine-tune" }).Locator(".verdict-reason"))
            .ToContainTextAsync("baseline under-trained — seeds 1, 2: not converged: only 3 optimizer steps");
        await Assertions.Expect(page.Locator("#runs-table .run-unconverged")).ToHaveCountAsync(8);
        await page.ScreenshotAsync("30-experiment-results");

        // One click continues every unconverged run from its checkpoint with twice the budget; the verdicts follow.
        await page.Locator("#continue-unconverged").ClickAsync();
        await Assertions.Expect(page.Locator("#runs-table .run-converged")).ToHaveCountAsync(8, new() { Timeout = 180_000 });
        await Assertions.Expect(page.Locator("#continue-unconverged")).ToHaveCountAsync(0);
        await Assertions.Expect(results.Locator("tr", new() { HasText = "fine-tune" })).Not.ToContainTextAsync("unreliable");
        // Every converged run separates red from blue: no gain and no loss is a decided answer, "no worthwhile gain".
        await Assertions.Expect(results.Locator("tr", new() { HasText = "fine-tune" })).ToContainTextAsync("equivalent");

        // The validation chart: a legend button hides an arm, every point names its value on hover.
        var chart = page.Locator(".curve-chart").First;
        await Assertions.Expect(chart.Locator("polyline")).ToHaveCountAsync(4);
        await chart.Locator("button.legend", new() { HasText = "frozen-random" }).ClickAsync();
        await Assertions.Expect(chart.Locator("polyline")).ToHaveCountAsync(3);
        await Assertions.Expect(chart.Locator("circle title").First).ToHaveTextAsync(new Regex("^[a-z-]+ · epoch \\d+: [0-9.]+"));
        await chart.GetByLabel("zoom to data").CheckAsync();
        await page.ScreenshotAsync("30b-experiment-chart-toggled");

        // A confusion-matrix cell opens its test items; a reviewer sends them to the review queue from there.
        var cell = page.Locator("table.confusion[data-arm='baseline'] button.confusion-cell[data-true='1'][data-predicted='1']");
        var count = int.Parse((await cell.TextContentAsync())!.Trim(), System.Globalization.CultureInfo.InvariantCulture);
        await cell.ClickAsync();
        var dialog = page.GetByRole(AriaRole.Dialog);
        await Assertions.Expect(dialog.Locator(".confusion-item")).ToHaveCountAsync(count);
        await Assertions.Expect(dialog.Locator(".confusion-item").First).ToContainTextAsync("red"); // row 1 of (blue, red): labeled red
        await page.ScreenshotAsync("30c-confusion-cell-items");
        await dialog.Locator("#confusion-review").ClickAsync();
        await Assertions.Expect(dialog).ToHaveCountAsync(0);
        using (var api = E2EData.AdminClient(app.BaseUrl))
        {
            var datasetId = (await api.GetFromJsonAsync<JsonElement>($"/api/runs/{await cell.GetAttributeAsync("data-run")}/confusion/1/1")).GetProperty("datasetId").GetString();
            (await api.GetFromJsonAsync<JsonElement>($"/api/datasets/{datasetId}/items?status=review")).GetProperty("total").GetInt32().ShouldBe(count);
        }

        // Two runs side by side: metrics, per-class F1 and curves.
        await page.GetByLabel("compare baseline seed 1 100%").CheckAsync();
        await page.GetByLabel("compare fine-tune seed 1 100%").CheckAsync();
        await page.Locator("#compare-runs").ClickAsync();
        await Assertions.Expect(page).ToHaveURLAsync(new Regex("/runs/compare\\?a=.+&b=.+"));
        await Assertions.Expect(page.Locator("#run-compare-table")).ToContainTextAsync("F1 · red");
        await Assertions.Expect(page.Locator("#run-compare-table thead")).ToContainTextAsync("fine-tune · seed 1");

        // The two experiments side by side: the baseline in both, the transfer arms only in the second.
        await page.GotoInteractiveAsync("/experiments");
        await page.GetByLabel("compare source model").CheckAsync();
        await page.GetByLabel("compare does transfer help?").CheckAsync();
        await page.Locator("#compare-button").ClickAsync();
        await Assertions.Expect(page).ToHaveURLAsync(new Regex("/experiments/compare\\?a=.+&b=.+"));
        var compare = page.Locator("#compare-table tbody tr");
        await Assertions.Expect(compare).ToHaveCountAsync(4);
        await Assertions.Expect(compare.Filter(new() { HasText = "baseline" })).ToContainTextAsync("0.");
        await page.ScreenshotAsync("31-compare");
    }
}
