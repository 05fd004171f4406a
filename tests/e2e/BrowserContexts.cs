namespace TransferHub.Tests.E2E;

/// <summary>
/// One headless Chromium (Debian's, never a downloaded one) for the whole run, and the contexts one test class opened in
/// it. A browser per class started a Playwright driver and Chromium's helper processes each time (over the suite the
/// drivers alone cost 50 s of CPU, 31 s with one; docs/benchmarks.md); a context keeps a class's cookies, storage and
/// cache apart as a browser of its own did.
/// </summary>
public sealed class BrowserContexts : IAsyncDisposable
{
    private static readonly Lazy<Task<IBrowser>> Shared = new(LaunchAsync);
    private readonly List<IBrowserContext> _contexts = [];

    public static Task<IBrowser> BrowserAsync() => Shared.Value;

    /// <summary>A signed-out page in a fresh context whose relative URLs go to <paramref name="baseUrl"/>.</summary>
    public async Task<IPage> NewPageAsync(string baseUrl)
    {
        var browser = await BrowserAsync();
        var context = await browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = baseUrl,
            ViewportSize = new ViewportSize { Width = 1366, Height = 860 },
        });
        context.SetDefaultTimeout(15_000);
        lock (_contexts)
        {
            _contexts.Add(context);
        }
        return await context.NewPageAsync();
    }

    /// <summary>Closes the class's contexts before its app goes: a page left open would keep reconnecting to it.</summary>
    public async ValueTask DisposeAsync()
    {
        IBrowserContext[] open;
        lock (_contexts)
        {
            open = [.. _contexts];
            _contexts.Clear();
        }
        foreach (var context in open)
        {
            await context.CloseAsync();
        }
    }

    private static async Task<IBrowser> LaunchAsync()
    {
        var playwright = await Playwright.CreateAsync();
        var headless = !System.Diagnostics.Debugger.IsAttached;
        // A web-first assertion waits as long as an action: on a busy 2-core machine a save behind the page can take
        // longer than Playwright's 5 s default. Assertions return as soon as they hold, so passing tests wait no longer.
        Assertions.SetDefaultExpectTimeout(15_000);
        var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Environment.GetEnvironmentVariable("CHROMIUM_PATH") ?? ChromiumPath(headless),
            Headless = headless,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                "--no-first-run", "--disable-sync", "--disable-quic"],
        });
        // The driver and Chromium go with the test process; closing first lets Chromium exit cleanly.
        AppDomain.CurrentDomain.ProcessExit += (_, _) => browser.CloseAsync().Wait(TimeSpan.FromSeconds(5));
        return browser;
    }

    /// <summary>
    /// Headless, Debian's headless shell (Chromium's "old" headless mode, which Playwright itself runs headless tests in):
    /// the same Blink as the full browser without its browser UI, which cost the e2e suite ~65 s of CPU (docs/benchmarks.md).
    /// Headed, under a debugger, the full Chromium.
    /// </summary>
    private static string ChromiumPath(bool headless) =>
        headless && File.Exists("/usr/bin/chromium-headless-shell") ? "/usr/bin/chromium-headless-shell" : "/usr/bin/chromium";
}
