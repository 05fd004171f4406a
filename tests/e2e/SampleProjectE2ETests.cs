using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using TransferHub.Shared.Projects;

namespace TransferHub.Tests.E2E;

public sealed class SampleProjectE2ETests(SeededAppFixture app) : IClassFixture<SeededAppFixture>
{
    [Fact]
    public async Task ANewcomerCreatesTheSampleAndWatchesOnePositiveAndOneNegativeVerdictArrive()
    {
        var page = await app.NewPageAsync();
        await page.SignInAsync(BrowserFixture.AdminEmail, BrowserFixture.AdminPassword);
        await page.GotoInteractiveAsync("/");
        await Assertions.Expect(page.GetByText("No projects yet")).ToBeVisibleAsync();

        await page.GetByRole(AriaRole.Button, new() { Name = "Try the sample project" }).ClickAsync();
        await Assertions.Expect(page.Locator("#sample-progress")).ToBeVisibleAsync();
        await Assertions.Expect(page).ToHaveURLAsync(new Regex("/experiments/[0-9a-f-]{36}$"), new() { Timeout = 180_000 });

        // The curves grow while the runs train: a polyline per arm appears before the experiment ends.
        var validationCurves = page.Locator(".curve-chart").First.Locator("polyline");
        await Assertions.Expect(validationCurves).ToHaveCountAsync(4, new() { Timeout = 300_000 }); // 400 steps a run (fair budgets)
        await page.ScreenshotAsync("50-sample-running");
        await Assertions.Expect(page.Locator("#experiment-status")).ToHaveTextAsync("finished", new() { Timeout = 420_000 });

        var rows = page.Locator("#results-table tbody tr");
        await Assertions.Expect(rows.Filter(new() { HasText = "shapes source" })).ToContainTextAsync("positive transfer");
        await Assertions.Expect(rows.Filter(new() { HasText = "colours source" })).ToContainTextAsync("negative transfer");
        // Per class, Holm-corrected: the classes the colours source hurts are named under its verdict.
        await Assertions.Expect(rows.Filter(new() { HasText = "colours source" }).Locator(".class-hurt").First).ToContainTextAsync(new Regex(@"Hurts '.+': -0\.\d{3} F1 \(Holm p = "));
        await Assertions.Expect(page.Locator("#runs-table tbody tr")).ToHaveCountAsync(20);
        await Assertions.Expect(page.Locator("#per-class-table tbody tr")).ToHaveCountAsync(8); // F1 of every glyph class, arm by arm
        await page.ScreenshotAsync("51-sample-verdicts");

        // A Labeler of the project sees the verdicts but is not offered what only Owners and Scientists may do.
        var experimentUrl = page.Url;
        var labelerEmail = $"lab-{Guid.NewGuid():N}"[..12] + "@e2e.test";
        await Pages.CreateUserAsync(app.BaseUrl, labelerEmail, "Labeler-Passw0rd!", "Labeler");
        using (var admin = E2EData.AdminClient(app.BaseUrl))
        {
            var experiment = await admin.GetFromJsonAsync<JsonElement>($"/api/experiments/{experimentUrl.Split('/')[^1]}");
            var projectId = experiment.GetProperty("projectId").GetString();
            experiment.GetProperty("runs").EnumerateArray().Select(r => r.GetProperty("status").GetString()).ShouldAllBe(s => s == "Succeeded");
            var dataset = (await admin.GetFromJsonAsync<JsonElement>($"/api/projects/{projectId}/datasets")).EnumerateArray().Single();
            (dataset.GetProperty("itemCount").GetInt32(), dataset.GetProperty("labeledCount").GetInt32()).ShouldBe((360, 240));
            // The colour arm trailed the baseline for many epochs: its owner hears it once, not once per changed number.
            var warned = (await admin.GetFromJsonAsync<JsonElement>("/api/notifications")).EnumerateArray()
                .Where(n => n.GetProperty("title").GetString()!.EndsWith(": possible negative transfer", StringComparison.Ordinal))
                .Select(n => n.GetProperty("body").GetString()!).ToList();
            warned.ShouldContain(body => body.Contains("'colours source", StringComparison.Ordinal));
            warned.GroupBy(body => body[..body.IndexOf("' trails", StringComparison.Ordinal)]).ShouldAllBe(arm => arm.Count() == 1);
            (await admin.PostAsJsonAsync($"/api/projects/{projectId}/members",
                new AddMemberRequest(null, labelerEmail, ProjectRole.Labeler))).EnsureSuccessStatusCode();
        }
        var labeler = await app.NewPageAsync();
        await labeler.SignInAsync(labelerEmail, "Labeler-Passw0rd!");
        await labeler.GotoInteractiveAsync(new Uri(experimentUrl).AbsolutePath);
        await Assertions.Expect(labeler.Locator("#results-table")).ToBeVisibleAsync();
        await Assertions.Expect(labeler.Locator("#score-unlabeled")).ToHaveCountAsync(0);

        // The best model pre-labels the 120 unlabeled glyphs; the annotator confirms the least sure one with Enter.
        await page.Locator("#score-unlabeled").ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Label least confident first" }).ClickAsync(new() { Timeout = 60_000 });
        await Assertions.Expect(page).ToHaveURLAsync(new Regex("/label\\?order=leastconfident$"));
        await page.WaitInteractiveAsync();
        var suggestion = page.Locator("#model-suggestion");
        await Assertions.Expect(suggestion).ToContainTextAsync("Model suggests");
        var first = await page.Locator("#labeling-image").GetAttributeAsync("src");
        await page.ScreenshotAsync("52-pre-labeled");
        await page.Locator("#labeling-surface").PressAsync("Enter");
        await Assertions.Expect(page.Locator("#labeling-image")).Not.ToHaveAttributeAsync("src", first!);
        await Assertions.Expect(suggestion).ToContainTextAsync("Model suggests");
    }
}
