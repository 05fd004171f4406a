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

    [Fact]
    public async Task EveryMainPageRunsUnderTheContentSecurityPolicyAndItStopsInjectedScript()
    {
        var (_, versionId) = await E2EData.ArrangeVersionAsync(app.BaseUrl, images: 12);
        using var http = E2EData.AdminClient(app.BaseUrl);
        var datasetId = (await http.GetFromJsonAsync<JsonElement>($"/api/versions/{versionId}")).GetProperty("datasetId").GetString();
        var page = await app.NewPageAsync();
        var violations = new List<string>();
        page.Console += (_, message) =>
        {
            if (message.Text.Contains("Content Security Policy", StringComparison.OrdinalIgnoreCase)) violations.Add($"{page.Url}: {message.Text}");
        };
        await page.SignInAsync(BrowserFixture.AdminEmail, BrowserFixture.AdminPassword);
        await Assertions.Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/$"));

        // Each page starts its circuit (script and WebSocket allowed) and draws with MudBlazor's inline styles.
        foreach (var path in new[] { "/", "/projects", "/datasets", $"/datasets/{datasetId}", $"/datasets/{datasetId}/label", $"/datasets/{datasetId}/review",
                     "/experiments", "/weights", "/models", "/monitoring", "/workers", "/account/tokens", "/admin/users", "/admin/security", "/admin/webhooks" })
        {
            await page.GotoInteractiveAsync(path);
        }
        await page.GotoAsync("/Account/Login"); // the static sign-in form, signed in or not
        await page.GotoInteractiveAsync("/projects");
        await page.GetByRole(AriaRole.Button, new() { Name = "New project" }).ClickAsync(); // a dialog: MudBlazor's own script at work
        await Assertions.Expect(page.Locator(".mud-dialog")).ToBeVisibleAsync();

        violations.ShouldBeEmpty(); // the pages themselves break no rule

        // Script that got into the page anyway (a sanitizer's miss) does not run: inline scripts and handlers are refused.
        static bool Refusal(IConsoleMessage m) => m.Text.Contains("Content Security Policy", StringComparison.OrdinalIgnoreCase);
        await page.RunAndWaitForConsoleMessageAsync(() => page.EvaluateAsync(
            "() => { const s = document.createElement('script'); s.textContent = 'window.__csp = 1'; document.body.appendChild(s); }"), new() { Predicate = Refusal });
        await page.RunAndWaitForConsoleMessageAsync(() => page.EvaluateAsync(
            "() => { const i = document.createElement('img'); i.setAttribute('onerror', 'window.__csp = 2'); i.src = 'data:,broken'; document.body.appendChild(i); }"),
            new() { Predicate = Refusal });
        (await page.EvaluateAsync<int?>("() => window.__csp ?? null")).ShouldBeNull();
    }
}
