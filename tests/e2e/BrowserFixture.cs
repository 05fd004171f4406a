namespace TransferHub.Tests.E2E;

/// <summary>One app per test class, and the pages the class opens on it in the run's shared Chromium.</summary>
public abstract class BrowserFixture : IAsyncLifetime
{
    public const string AdminEmail = "admin@e2e.test";
    public const string AdminPassword = "Admin-Passw0rd!";
    public const string AdminToken = "thp_e2e-bootstrap-token-0123456789abcdef";

    private readonly BrowserContexts _contexts = new();
    private AppProcess? _app;

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
        await BrowserContexts.BrowserAsync();
    }

    public Task<IPage> NewPageAsync() => _contexts.NewPageAsync(BaseUrl);

    public virtual async Task DisposeAsync()
    {
        await _contexts.DisposeAsync();
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
