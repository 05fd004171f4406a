using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace TransferHub.Bench.Labeling;

/// <summary>The built web app (Release) as a process on a free loopback port with a fresh data folder.</summary>
public sealed class BenchApp : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _dataRoot;

    private BenchApp(Process process, string baseUrl, string dataRoot) => (_process, BaseUrl, _dataRoot) = (process, baseUrl, dataRoot);

    public string BaseUrl { get; }

    public string DataRoot => _dataRoot;

    /// <summary>Runs <c>TransferHub.Web COMMAND…</c> on <paramref name="dataRoot"/> and returns its seconds; throws on a non-zero exit.</summary>
    public static double RunCommand(string dataRoot, params string[] command)
    {
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = Path.GetDirectoryName(WebDll())!, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(WebDll());
        foreach (var part in command)
        {
            start.ArgumentList.Add(part);
        }
        start.Environment["Data__Root"] = dataRoot;
        var watch = Stopwatch.StartNew();
        using var process = Process.Start(start)!;
        var said = process.StandardOutput.ReadToEnd() + process.StandardError.ReadToEnd();
        process.WaitForExit();
        Console.WriteLine(said.Trim());
        return process.ExitCode == 0 ? watch.Elapsed.TotalSeconds : throw new InvalidOperationException($"{string.Join(' ', command)}: exit {process.ExitCode}");
    }

    // TRANSFERHUB_WEB_DLL: another build of the app (as in the e2e tests), so one benchmark binary can compare two commits.
    private static string WebDll()
    {
        if (Environment.GetEnvironmentVariable("TRANSFERHUB_WEB_DLL") is { Length: > 0 } other)
        {
            return other;
        }
        var root = new DirectoryInfo(AppContext.BaseDirectory);
        while (!File.Exists(Path.Combine(root.FullName, "TransferHub.sln")))
        {
            root = root.Parent ?? throw new InvalidOperationException("Run from inside the repository.");
        }
        return Path.Combine(root.FullName, "src", "Web", "bin", new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name, "net10.0", "TransferHub.Web.dll");
    }

    public static async Task<BenchApp> StartAsync(string adminToken, IReadOnlyDictionary<string, string>? settings = null)
    {
        var dll = WebDll();
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        // A "Data:Root" setting shares one data folder between apps (two web nodes); otherwise a fresh one.
        var dataRoot = settings?.GetValueOrDefault("Data:Root") ?? Path.Combine(Path.GetTempPath(), "transferhub-bench", Guid.NewGuid().ToString("N"));
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = Path.GetDirectoryName(dll)!, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(dll);
        start.ArgumentList.Add("--urls");
        start.ArgumentList.Add($"http://127.0.0.1:{port}");
        start.Environment["Data__Root"] = dataRoot;
        start.Environment["Api__MaxRequestBodyBytes"] = "1073741824";
        start.Environment["Bootstrap__AdminEmail"] = "admin@bench.test";
        start.Environment["Bootstrap__AdminPassword"] = "Bench-Passw0rd";
        start.Environment["Bootstrap__AdminToken"] = adminToken;
        start.Environment["Logging__LogLevel__Default"] = "Warning";
        start.Environment["RateLimits__SignInPerMinute"] = "100000"; // every annotator signs in from one address
        start.Environment["Webhooks__AllowPrivateTargets"] = "true"; // the webhook benchmark's receiver is on loopback
        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
        {
            start.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }
        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { Console.Error.WriteLine(e.Data); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var app = new BenchApp(process, $"http://127.0.0.1:{port}", dataRoot);
        using var http = new HttpClient();
        for (var i = 0; i < 600; i++)
        {
            try
            {
                if ((await http.GetAsync($"{app.BaseUrl}/health")).IsSuccessStatusCode)
                {
                    return app;
                }
            }
            catch (HttpRequestException)
            {
                // not listening yet
            }
            await Task.Delay(100);
        }
        throw new TimeoutException("The app did not start.");
    }

    /// <summary>The value at share <paramref name="p"/> of a sorted list (nearest rank).</summary>
    public static double Percentile(List<double> sorted, double p) => sorted.Count == 0 ? double.NaN : sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p * sorted.Count) - 1)];

    /// <summary>POSTs JSON and returns the JSON answer, or throws with the problem's text.</summary>
    public static async Task<System.Text.Json.JsonElement> PostAsync(HttpClient http, string path, object body)
    {
        var response = await System.Net.Http.Json.HttpClientJsonExtensions.PostAsJsonAsync(http, path, body);
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"{path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }
        return await System.Net.Http.Json.HttpContentJsonExtensions.ReadFromJsonAsync<System.Text.Json.JsonElement>(response.Content);
    }

    public async ValueTask DisposeAsync()
    {
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
        if (Directory.Exists(_dataRoot)) // a shared folder goes with the first of its apps
        {
            Directory.Delete(_dataRoot, recursive: true);
        }
    }
}
