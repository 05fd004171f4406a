namespace TransferHub.Tests.E2E;

/// <summary>One headless Chromium (Debian's, never a downloaded one) and one app per test class.</summary>
public abstract class BrowserFixture : IAsyncLifetime
{
    public const string AdminEmail = "admin@e2e.test";
    public const string AdminPassword = "Admin-Passw0rd!";
    public const string AdminToken = "thp_e2e-bootstrap-token-0123456789abcdef";

    private IPlaywright? _playwright;
    private AppProcess? _app;

    public IBrowser Browser { get; private set; } = null!;
    public string BaseUrl { get; private set; } = "";
    public string Log => _app?.Log ?? "";

    /// <summary>The app's data folder (its SQLite database), when this fixture started the app.</summary>
    public string? DataRoot => _app?.DataRoot;

    /// <summary>The web server's process, when this fixture started it.</summary>
    public int? AppProcessId => _app?.ProcessId;

    protected abstract IDictionary<string, string> Settings { get; }

    /// <summary>Runs before the app starts (a fixture starts what the app's settings point at).</summary>
    protected virtual Task BeforeAppStartsAsync() => Task.CompletedTask;

    public async Task InitializeAsync()
    {
        await BeforeAppStartsAsync();
        var external = Environment.GetEnvironmentVariable("E2E_BASE_URL");
        if (string.IsNullOrEmpty(external))
        {
            _app = await AppProcess.StartAsync(Settings);
            BaseUrl = _app.BaseUrl;
        }
        else
        {
            BaseUrl = external.TrimEnd('/');
        }
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Environment.GetEnvironmentVariable("CHROMIUM_PATH") ?? "/usr/bin/chromium",
            Headless = !System.Diagnostics.Debugger.IsAttached,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                "--no-first-run", "--disable-sync", "--disable-quic"],
        });
    }

    public async Task<IPage> NewPageAsync()
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = BaseUrl,
            ViewportSize = new ViewportSize { Width = 1366, Height = 860 },
        });
        context.SetDefaultTimeout(15_000);
        return await context.NewPageAsync();
    }

    public virtual async Task DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.DisposeAsync();
        }
        _playwright?.Dispose();
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
    }
}

/// <summary>An app whose database is empty: the first-run flow applies.</summary>
public sealed class EmptyAppFixture : BrowserFixture
{
    protected override IDictionary<string, string> Settings => new Dictionary<string, string>();
}

/// <summary>An app seeded through the Bootstrap settings, with an admin and an API token for arranging data.</summary>
public sealed class SeededAppFixture : BrowserFixture
{
    protected override IDictionary<string, string> Settings => new Dictionary<string, string>
    {
        ["Bootstrap:AdminEmail"] = AdminEmail,
        ["Bootstrap:AdminPassword"] = AdminPassword,
        ["Bootstrap:AdminToken"] = AdminToken,
        ["Webhooks:AllowPrivateTargets"] = "true", // the tests' receivers listen on loopback
    };
}
