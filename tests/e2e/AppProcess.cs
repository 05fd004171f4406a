using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace TransferHub.Tests.E2E;

/// <summary>The real app as its own process on a free loopback port, with a fresh data folder; killed on dispose.</summary>
public sealed class AppProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _log = new();

    private AppProcess(Process process, string baseUrl, string dataRoot)
    {
        _process = process;
        BaseUrl = baseUrl;
        DataRoot = dataRoot;
    }

    public string BaseUrl { get; }

    public int ProcessId => _process.Id;
    public string DataRoot { get; }

    /// <summary>False for a node started on another node's data folder: that node deletes it.</summary>
    public bool OwnsData { get; private init; } = true;
    public string Log { get { lock (_log) { return _log.ToString(); } } }

    /// <param name="dataRoot">A data folder to share with another node (same database and artifacts); a fresh one when null.</param>
    /// <param name="webDll">Another build of the app (<see cref="CopyWithoutLibTorch"/>); the tests' own when null.</param>
    public static async Task<AppProcess> StartAsync(IDictionary<string, string> settings, string? dataRoot = null, string? webDll = null)
    {
        var dll = webDll ?? FindWebDll();
        var port = FreePort();
        var shared = dataRoot is not null;
        dataRoot ??= Path.Combine(Path.GetTempPath(), "transferhub-e2e", Guid.NewGuid().ToString("N"));
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = Path.GetDirectoryName(dll)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.ArgumentList.Add(dll);
        start.ArgumentList.Add("--urls");
        start.ArgumentList.Add($"http://127.0.0.1:{port}");
        start.Environment["Data__Root"] = dataRoot;
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        start.Environment["RateLimits__SignInPerMinute"] = "100000"; // the tests sign many people in from one address
        foreach (var (key, value) in settings)
        {
            start.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }
        var process = Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start");
        var app = new AppProcess(process, $"http://127.0.0.1:{port}", dataRoot) { OwnsData = !shared };
        process.OutputDataReceived += (_, e) => app.Append(e.Data);
        process.ErrorDataReceived += (_, e) => app.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        await app.WaitHealthyAsync(TimeSpan.FromSeconds(60));
        return app;
    }

    private void Append(string? line)
    {
        if (line is not null)
        {
            lock (_log)
            {
                _log.AppendLine(line);
            }
        }
    }

    private async Task WaitHealthyAsync(TimeSpan timeout)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < timeout)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"The app exited with {_process.ExitCode}:\n{Log}");
            }
            try
            {
                if ((await http.GetAsync($"{BaseUrl}/health")).IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                // Not listening yet, or still migrating on a busy machine: poll again.
            }
            await Task.Delay(100);
        }
        throw new TimeoutException($"The app did not become healthy in {timeout}:\n{Log}");
    }

    private static string FindWebDll()
    {
        var fromEnv = Environment.GetEnvironmentVariable("TRANSFERHUB_WEB_DLL");
        if (!string.IsNullOrEmpty(fromEnv))
        {
            return fromEnv;
        }
        var dll = Path.Combine(RepoRoot, "src", "Web", "bin", Configuration, "net10.0", "TransferHub.Web.dll");
        return File.Exists(dll) ? dll : throw new FileNotFoundException("Build src/Web first.", dll);
    }

    /// <summary>
    /// The app's build folder copied without libtorch (libtorch*, libc10, its libgomp, LibTorchSharp): a host that can only
    /// serve. Returns the copy's TransferHub.Web.dll; the caller deletes its folder.
    /// </summary>
    public static string CopyWithoutLibTorch()
    {
        var source = Path.GetDirectoryName(FindWebDll())!;
        var target = Path.Combine(Path.GetTempPath(), "transferhub-e2e", "no-libtorch-" + Guid.NewGuid().ToString("N"));
        foreach (var file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            var name = Path.GetFileName(file);
            if (IsLibTorch(name))
            {
                continue;
            }
            var copy = Path.Combine(target, Path.GetRelativePath(source, file));
            Directory.CreateDirectory(Path.GetDirectoryName(copy)!);
            File.Copy(file, copy);
        }
        return Path.Combine(target, "TransferHub.Web.dll");
    }

    public static bool IsLibTorch(string fileName) =>
        fileName.StartsWith("libtorch", StringComparison.Ordinal) || fileName.StartsWith("libc10", StringComparison.Ordinal)
        || fileName.StartsWith("libgomp", StringComparison.Ordinal) || fileName.StartsWith("libLibTorchSharp", StringComparison.Ordinal);

    /// <summary>Whether the process has libtorch mapped (Linux: /proc/{pid}/maps).</summary>
    public bool MapsLibTorch() => File.ReadLines($"/proc/{_process.Id}/maps").Any(line => line.Contains("/libtorch", StringComparison.Ordinal));

    /// <summary>The checkout these tests run from (the folder holding TransferHub.sln).</summary>
    public static string RepoRoot { get; } = FindRepoRoot();

    /// <summary>The build configuration of these tests (bin/&lt;Configuration&gt;/net10.0), used for the apps they start.</summary>
    public static string Configuration => new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name;

    private static string FindRepoRoot()
    {
        var root = new DirectoryInfo(AppContext.BaseDirectory);
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "TransferHub.sln")))
        {
            root = root.Parent;
        }
        return root?.FullName ?? throw new InvalidOperationException("TransferHub.sln not found above " + AppContext.BaseDirectory);
    }

    internal static int FreePort() => TransferHub.Tests.Support.LoopbackPort.Free();

    /// <summary>As a crashed node: the process goes, its data folder stays (another node may share it).</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        _process.Dispose();
        if (!OwnsData)
        {
            return;
        }
        try
        {
            Directory.Delete(DataRoot, recursive: true);
        }
        catch (IOException)
        {
            // Left in the temp folder for a look after a failure.
        }
    }
}
