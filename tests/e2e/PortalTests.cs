using System.Text.RegularExpressions;

namespace TransferHub.Tests.E2E;

public sealed class PortalTests(SeededAppFixture app) : IClassFixture<SeededAppFixture>
{
    private const string UserPassword = "User-Passw0rd!";

    private static string Email(string who) => $"{who}-{Guid.NewGuid():N}"[..16] + "@e2e.test";

    [Fact]
    public async Task AdminSignsInAndOut()
    {
        var page = await app.NewPageAsync();

        await page.SignInAsync(BrowserFixture.AdminEmail, BrowserFixture.AdminPassword);

        await Assertions.Expect(page).ToHaveURLAsync(new Regex("/$"));
        await page.WaitInteractiveAsync();
        await Assertions.Expect(page.GetByText("Welcome, Administrator")).ToBeVisibleAsync(); // the display name, not the e-mail
        await page.Locator("#user-menu").ClickAsync();
        await Assertions.Expect(page.Locator("#signed-in-as")).ToHaveTextAsync(BrowserFixture.AdminEmail);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();
        await Assertions.Expect(page).ToHaveURLAsync(new Regex("/Account/Login"));
        // Signed out for real: a page now sends the browser back to sign in.
        await page.GotoAsync("/projects");
        await Assertions.Expect(page).ToHaveURLAsync(new Regex("/Account/Login\\?ReturnUrl=%2Fprojects", RegexOptions.IgnoreCase));
    }

    [Fact]
    public async Task WrongPasswordIsRefusedWithAMessage()
    {
        var page = await app.NewPageAsync();

        await page.SignInAsync(BrowserFixture.AdminEmail, "not-the-password");

        await Assertions.Expect(page.Locator("#login-error")).ToHaveTextAsync("Wrong e-mail or password.");
        await Assertions.Expect(page).ToHaveURLAsync(new Regex("/Account/Login"));
        await page.ScreenshotAsync("03-sign-in-wrong-password");
    }

    [Fact]
    public async Task AnAdminDisablesAnAccountAndSetsItANewPasswordOnTheUsersPage()
    {
        var email = Email("leaver");
        await Pages.CreateUserAsync(app.BaseUrl, email, UserPassword, "Labeler");
        var admin = await app.NewPageAsync();
        await admin.SignInAsync(BrowserFixture.AdminEmail, BrowserFixture.AdminPassword);
        await Assertions.Expect(admin).ToHaveURLAsync(new Regex("/$"));
        await admin.GotoInteractiveAsync("/admin/users");
        var row = admin.Locator("#users-table tr", new() { HasText = email });

        await row.GetByRole(AriaRole.Button, new() { Name = "Disable" }).ClickAsync();
        await Assertions.Expect(row.Locator(".user-status")).ToHaveTextAsync("disabled");
        await admin.ScreenshotAsync("16-admin-users-disabled");
        var refused = await app.NewPageAsync();
        await refused.SignInAsync(email, UserPassword);
        await Assertions.Expect(refused).ToHaveURLAsync(new Regex("/Account/Login"));

        await row.GetByRole(AriaRole.Button, new() { Name = "Enable" }).ClickAsync();
        await Assertions.Expect(row.Locator(".user-status")).ToHaveTextAsync("active");
        await row.GetByRole(AriaRole.Button, new() { Name = "Reset password" }).ClickAsync();
        await row.GetByLabel("New password").FillAsync("short");
        await row.GetByRole(AriaRole.Button, new() { Name = "Set" }).ClickAsync();
        await Assertions.Expect(admin.GetByText("The password needs at least 10 characters.").First).ToBeVisibleAsync(); // not Identity's wording
        await row.GetByLabel("New password").FillAsync("Brand-new-Passw0rd!");
        await row.GetByRole(AriaRole.Button, new() { Name = "Set" }).ClickAsync();
        await Assertions.Expect(row.GetByRole(AriaRole.Button, new() { Name = "Reset password" })).ToBeVisibleAsync();

        var back = await app.NewPageAsync();
        await back.SignInAsync(email, "Brand-new-Passw0rd!");
        await Assertions.Expect(back).ToHaveURLAsync(new Regex("/$"));
    }

    [Fact]
    public async Task AFailedSignInShowsInTheAdminsSecurityLog()
    {
        var email = Email("guessed");
        await Pages.CreateUserAsync(app.BaseUrl, email, UserPassword, "Labeler");
        var guesser = await app.NewPageAsync();
        await guesser.SignInAsync(email, "not-the-password");
        await Assertions.Expect(guesser.Locator("#login-error")).ToHaveTextAsync("Wrong e-mail or password.");

        var admin = await app.NewPageAsync();
        await admin.SignInAsync(BrowserFixture.AdminEmail, BrowserFixture.AdminPassword);
        await Assertions.Expect(admin).ToHaveURLAsync(new Regex("/$"));
        await admin.GotoInteractiveAsync("/admin/security");

        var row = admin.Locator("tr", new() { HasText = email }).Filter(new() { HasText = "Sign-in failed" });
        await Assertions.Expect(row).ToHaveCountAsync(1);
        await Assertions.Expect(row).ToContainTextAsync("sign-in form: wrong password");
        await Assertions.Expect(admin.Locator("tr", new() { HasText = email }).Filter(new() { HasText = "Account created" })).ToHaveCountAsync(1);
        await admin.ScreenshotAsync("19-admin-security-log");
    }

    [Fact]
    public async Task LabelerIsDeniedAnAdminPage()
    {
        var email = Email("labeler");
        await Pages.CreateUserAsync(app.BaseUrl, email, UserPassword, "Labeler");
        var page = await app.NewPageAsync();
        await page.SignInAsync(email, UserPassword);
        await Assertions.Expect(page).ToHaveURLAsync(new Regex("/$"));

        await page.GotoAsync("/admin/users");

        await Assertions.Expect(page.GetByText("You don't have access to this page")).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByText("Create accounts for your team")).ToHaveCountAsync(0);
        await page.ScreenshotAsync("04-access-denied");
    }

    [Fact]
    public async Task AdminCreatesProjectAndAddsAMemberWhoIsNotified()
    {
        var memberEmail = Email("reviewer");
        await Pages.CreateUserAsync(app.BaseUrl, memberEmail, UserPassword, "Reviewer");
        var projectName = "Leaf disease " + Guid.NewGuid().ToString("N")[..6];
        var admin = await app.NewPageAsync();
        await admin.SignInAsync(BrowserFixture.AdminEmail, BrowserFixture.AdminPassword);
        await Assertions.Expect(admin).ToHaveURLAsync(new Regex("/$"));

        await admin.GotoInteractiveAsync("/projects");
        await admin.GetByRole(AriaRole.Button, new() { Name = "New project" }).ClickAsync();
        var dialog = admin.GetByRole(AriaRole.Dialog);
        // Name auto-focuses a round trip after the dialog shows: typed into first (and its value back from the
        // server) before Description, so a late auto-focus cannot pull the description's text into it.
        await dialog.GetByLabel("Name").ClickAsync();
        await dialog.GetByLabel("Name").FillAsync(projectName);
        await Assertions.Expect(dialog.GetByLabel("Name")).ToHaveValueAsync(projectName);
        await dialog.GetByLabel("Description (optional)").FillAsync("Healthy vs rust vs blight, 600 photos");
        await Assertions.Expect(dialog.GetByLabel("Name")).ToHaveValueAsync(projectName);
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Create" }).ClickAsync();

        await Assertions.Expect(admin).ToHaveURLAsync(new Regex("/projects/[0-9a-f-]{36}$"));
        await Assertions.Expect(admin.Locator("#project-title")).ToHaveTextAsync(projectName);
        await admin.GetByLabel("E-mail of an existing account").FillAsync(memberEmail);
        await admin.GetByRole(AriaRole.Button, new() { Name = "Add member" }).ClickAsync();
        await Assertions.Expect(admin.Locator("#members-table")).ToContainTextAsync(memberEmail);
        await Assertions.Expect(admin.Locator("#members-table")).ToContainTextAsync("Labeler");
        await admin.ScreenshotAsync("05-project-detail");

        var member = await app.NewPageAsync();
        await member.SignInAsync(memberEmail, UserPassword);
        await member.WaitInteractiveAsync();
        await Assertions.Expect(member.Locator("#notification-badge .mud-badge")).ToHaveTextAsync("1");
        await member.Locator("#notification-bell").ClickAsync();
        await Assertions.Expect(member.GetByText($"You were added to {projectName}")).ToBeVisibleAsync();
        await member.GotoInteractiveAsync("/projects");
        await Assertions.Expect(member.Locator("#projects-table")).ToContainTextAsync(projectName);
    }

    [Fact]
    public async Task MemberSeesNotificationLiveWhileThePageIsOpen()
    {
        var memberEmail = Email("live");
        await Pages.CreateUserAsync(app.BaseUrl, memberEmail, UserPassword, "Labeler");
        var member = await app.NewPageAsync();
        await member.SignInAsync(memberEmail, UserPassword);
        await member.WaitInteractiveAsync();
        await Assertions.Expect(member.Locator("#notification-badge .mud-badge-visible")).ToHaveCountAsync(0);

        using var http = new HttpClient { BaseAddress = new Uri(app.BaseUrl) };
        http.DefaultRequestHeaders.Authorization = new("Bearer", BrowserFixture.AdminToken);
        var created = await System.Net.Http.Json.HttpClientJsonExtensions.PostAsJsonAsync(http, "/api/projects",
            new TransferHub.Shared.Projects.CreateProjectRequest("Live " + Guid.NewGuid().ToString("N")[..8], null));
        var project = await System.Net.Http.Json.HttpContentJsonExtensions.ReadFromJsonAsync<System.Text.Json.JsonElement>(created.Content);
        var added = await System.Net.Http.Json.HttpClientJsonExtensions.PostAsJsonAsync(http, $"/api/projects/{project.GetProperty("id").GetString()}/members",
            new { email = memberEmail, role = "Labeler" });
        added.EnsureSuccessStatusCode();

        // No reload: the count arrives over the page's live connection.
        await Assertions.Expect(member.Locator("#notification-badge .mud-badge")).ToHaveTextAsync("1");
    }

    [Fact]
    public async Task MainPagesRenderForAnAdmin()
    {
        var page = await app.NewPageAsync();
        await page.SignInAsync(BrowserFixture.AdminEmail, BrowserFixture.AdminPassword);
        await Assertions.Expect(page).ToHaveURLAsync(new Regex("/$"));

        var pages = new (string Path, string Heading, string Shot)[]
        {
            ("/", "Welcome", "10-home"),
            ("/projects", "Projects", "11-projects"),
            ("/datasets", "Datasets", "12-datasets"),
            ("/experiments", "Experiments", "13-experiments"),
            ("/models", "Models", "14-models"),
            ("/monitoring", "Monitoring", "15-monitoring"),
            ("/admin/users", "Users", "16-admin-users"),
            ("/admin/workers", "Worker tokens", "17-admin-worker-tokens"),
            ("/account/tokens", "API tokens", "18-api-tokens"),
        };
        foreach (var (path, heading, shot) in pages)
        {
            await page.GotoInteractiveAsync(path);
            await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = heading }).Or(page.GetByText(heading).First).First).ToBeVisibleAsync();
            await page.ScreenshotAsync(shot);
        }
        var login = await app.NewPageAsync();
        await login.GotoAsync("/Account/Login");
        await login.ScreenshotAsync("00-sign-in");
    }

    [Fact]
    public async Task TheChosenThemeIsRenderedByTheServerOnTheNextLoad()
    {
        var page = await app.NewPageAsync();
        await page.SignInAsync(BrowserFixture.AdminEmail, BrowserFixture.AdminPassword);
        await page.WaitInteractiveAsync();
        // First visit: the system's preference (light in headless Chromium) is remembered at once.
        await page.WaitForFunctionAsync("() => document.cookie.includes('transferhub-theme=light')");
        (await ServedHtmlAsync(page)).ShouldContain(LightAppBar);

        await page.GetByRole(AriaRole.Button, new() { Name = "Toggle theme" }).ClickAsync();
        await page.WaitForFunctionAsync("() => document.cookie.includes('transferhub-theme=dark')");
        // The server's own HTML is dark: the page is painted dark from its first byte, no flash of the light theme.
        var dark = await ServedHtmlAsync(page);
        dark.ShouldContain(DarkAppBar);
        dark.ShouldNotContain(LightAppBar);
        await page.ReloadAsync();
        await page.WaitInteractiveAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { Name = "Toggle theme" }).Locator("svg")).ToBeVisibleAsync();
        await page.ScreenshotAsync("19-home-dark");

        await page.GetByRole(AriaRole.Button, new() { Name = "Toggle theme" }).ClickAsync();
        await page.WaitForFunctionAsync("() => document.cookie.includes('transferhub-theme=light')");
        (await ServedHtmlAsync(page)).ShouldContain(LightAppBar);
    }

    [Fact]
    public async Task AnAdminBacksUpFromTheBackupsPageAndDownloadsTheZip()
    {
        var page = await app.NewPageAsync();
        await page.SignInAsync(BrowserFixture.AdminEmail, BrowserFixture.AdminPassword);
        await page.WaitInteractiveAsync();
        await page.GetByRole(AriaRole.Link, new() { Name = "Backups" }).ClickAsync();
        await Assertions.Expect(page.GetByText("No backups yet")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#backup-schedule")).ToContainTextAsync("No schedule");

        await page.Locator("#backup-now").ClickAsync();

        await Assertions.Expect(page.Locator("#backup-table tbody tr")).ToHaveCountAsync(1);
        await Assertions.Expect(page.GetByText(new Regex("Backup transferhub-\\d{8}-\\d{6}\\.zip written"))).ToBeVisibleAsync();
        // The message leaves the page's action free: it does not cover the button (a trial click checks what receives it).
        var message = (await page.Locator(".mud-snackbar").BoundingBoxAsync())!;
        var button = (await page.Locator("#backup-now").BoundingBoxAsync())!;
        (message.Y > button.Y + button.Height || message.Y + message.Height < button.Y || message.X > button.X + button.Width || message.X + message.Width < button.X).ShouldBeTrue();
        await page.Locator("#backup-now").ClickAsync(new() { Trial = true, Timeout = 2_000 });
        await page.ScreenshotAsync("19b-admin-backups");
        var href = await page.Locator("a.backup-download").GetAttributeAsync("href");
        var zip = await page.APIRequest.GetAsync(href!);
        zip.Status.ShouldBe(200);
        (await zip.BodyAsync()).Take(2).ShouldBe("PK"u8.ToArray()); // a zip, downloaded with the person's own sign-in

        await page.GetByRole(AriaRole.Button, new() { NameRegex = new Regex("^Delete transferhub-") }).ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Delete", Exact = true }).ClickAsync();
        await Assertions.Expect(page.GetByText("No backups yet")).ToBeVisibleAsync();
    }

    [Fact]
    public async Task ScriptsAndStylesAreKeptByTheBrowserSoAWarmLoadFetchesNoneOfThem()
    {
        var page = await app.NewPageAsync();
        await page.SignInAsync(BrowserFixture.AdminEmail, BrowserFixture.AdminPassword);
        await page.WaitInteractiveAsync();
        var html = await (await page.APIRequest.GetAsync("/")).TextAsync();
        var assets = Regex.Matches(html, "(?:src|href)=\"([^\"]+\\.[0-9a-z]{8,}\\.(?:js|css))\"").Select(m => m.Groups[1].Value).Distinct().ToList();

        assets.ShouldContain(a => a.Contains("blazor.web"));
        assets.ShouldContain(a => a.Contains("MudBlazor.min") && a.EndsWith(".js"));
        foreach (var asset in assets)
        {
            // Fingerprinted URLs change with their content, so the browser may keep them for a year without asking.
            var response = await page.APIRequest.GetAsync("/" + asset.TrimStart('/'));
            response.Headers["cache-control"].ShouldBe("max-age=31536000, immutable", asset);
        }
    }

    // The app bar colours of AppTheme's two palettes, as MudThemeProvider writes them into the page's style.
    private const string LightAppBar = "--mud-palette-appbar-background: rgba(30,42,74,1)";
    private const string DarkAppBar = "--mud-palette-appbar-background: rgba(22,27,46,1)";

    private static async Task<string> ServedHtmlAsync(IPage page) =>
        await (await page.APIRequest.GetAsync("/")).TextAsync();

    [Fact]
    public async Task PersonalTokenIsShownOnceInTheBrowser()
    {
        var page = await app.NewPageAsync();
        await page.SignInAsync(BrowserFixture.AdminEmail, BrowserFixture.AdminPassword);
        await Assertions.Expect(page).ToHaveURLAsync(new Regex("/$"));
        await page.GotoInteractiveAsync("/account/tokens");

        await page.GetByLabel("Token name").FillAsync("notebook");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create token" }).ClickAsync();

        var secret = (await page.Locator(".token-secret").TextContentAsync())!.Trim();
        secret.ShouldStartWith("thp_");
        using var http = new HttpClient { BaseAddress = new Uri(app.BaseUrl) };
        http.DefaultRequestHeaders.Authorization = new("Bearer", secret);
        (await http.GetAsync("/api/projects")).IsSuccessStatusCode.ShouldBeTrue();
        await page.ReloadAsync();
        await page.WaitInteractiveAsync();
        await Assertions.Expect(page.Locator("#tokens-table")).ToContainTextAsync("notebook");
        (await page.ContentAsync()).ShouldNotContain(secret);
    }
}
