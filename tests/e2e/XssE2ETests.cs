using System.Net.Http.Json;
using System.Text.Json;

namespace TransferHub.Tests.E2E;

public sealed class XssE2ETests(SeededAppFixture app) : IClassFixture<SeededAppFixture>
{
    // Issue 13's vectors, each trying to set window.__xss (or open a dialog) when the page renders, is hovered or clicked.
    private const string Guideline = """
        # Heading {onmouseover=window.__xss=1}

        [a javascript link](javascript:window.__xss=2) and [a data link](data:text/html,<script>parent.__xss=3</script>)

        ![an image](javascript:window.__xss=4)

        <img src=x onerror="window.__xss=5"> <svg onload="window.__xss=6"></svg> <script>window.__xss=7</script>

        [ok](https://example.com){onclick=window.__xss=8} **still bold**
        """;

    [Fact]
    public async Task AHostileGuidelineRendersAsTextAndRunsNothingWhenAnAdminOpensIt()
    {
        using var http = E2EData.AdminClient(app.BaseUrl);
        var project = await (await http.PostAsJsonAsync("/api/projects", new { name = $"xss {Guid.NewGuid():N}"[..12] })).Content.ReadFromJsonAsync<JsonElement>();
        var dataset = await (await http.PostAsJsonAsync($"/api/projects/{project.GetProperty("id").GetString()}/datasets", new
        {
            name = "hostile", kind = "Text", task = "SingleLabel", guideline = Guideline, labels = new[] { new { name = "a" }, new { name = "b" } },
        })).Content.ReadFromJsonAsync<JsonElement>();
        var page = await app.NewPageAsync();
        var dialogs = 0;
        page.Dialog += async (_, dialog) => { dialogs++; await dialog.DismissAsync(); };
        await page.SignInAsync(BrowserFixture.AdminEmail, BrowserFixture.AdminPassword);

        await page.GotoInteractiveAsync($"/datasets/{dataset.GetProperty("id").GetString()}");
        var guideline = page.Locator(".guideline");
        await Assertions.Expect(guideline.Locator("strong")).ToHaveTextAsync("still bold");
        await guideline.Locator("h1").HoverAsync();
        foreach (var link in await guideline.Locator("a").AllAsync())
        {
            // The https link would leave the page: every other one is clicked, as a curious Admin would.
            if ((await link.GetAttributeAsync("href"))?.StartsWith("https://", StringComparison.Ordinal) != true) await link.ClickAsync();
        }
        await page.ScreenshotAsync("50-hostile-guideline");

        (await page.EvaluateAsync<int?>("() => window.__xss ?? null")).ShouldBeNull();
        dialogs.ShouldBe(0);
        (await guideline.InnerHTMLAsync()).ShouldNotContain("javascript:", Case.Insensitive);
        await Assertions.Expect(guideline).ToContainTextAsync("<img src=x onerror="); // raw HTML is shown as text
    }
}
