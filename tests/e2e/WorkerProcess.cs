using System.Diagnostics;
using System.Text;

namespace TransferHub.Tests.E2E;

/// <summary>A remote training worker as its own process (<c>TransferHub.Training worker</c>), killed on dispose.</summary>
public sealed class WorkerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _log = new();

    private WorkerProcess(Process process) => _process = process;

    public string Log { get { lock (_log) { return _log.ToString(); } } }

    public bool HasExited => _process.HasExited;

    /// <param name="clockOffset">Runs the worker with its wall clock shifted (libfaketime; monotonic timers stay real).</param>
    public static WorkerProcess Start(string server, string token, string name, string device = "cpu", TimeSpan? clockOffset = null)
    {
        var dll = FindWorkerDll();
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = Path.GetDirectoryName(dll)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var arg in new[] { dll, "worker", "--server", server, "--name", name, "--device", device,
                     "--work-dir", Path.Combine(Path.GetTempPath(), "transferhub-e2e-workers", name) })
        {
            start.ArgumentList.Add(arg);
        }
        start.Environment["TRANSFERHUB_WORKER_TOKEN"] = token;
        if (clockOffset is { } offset)
        {
            const string faketime = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1"; // Debian's libfaketime (test.sh installs it)
            start.Environment["LD_PRELOAD"] = File.Exists(faketime) ? faketime : throw new FileNotFoundException("apt-get install faketime", faketime);
            start.Environment["FAKETIME"] = $"{offset.TotalSeconds:+0;-0}";
            start.Environment["FAKETIME_DONT_FAKE_MONOTONIC"] = "1";
        }
        var worker = new WorkerProcess(Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start"));
        worker._process.OutputDataReceived += (_, e) => worker.Append(e.Data);
        worker._process.ErrorDataReceived += (_, e) => worker.Append(e.Data);
        worker._process.BeginOutputReadLine();
        worker._process.BeginErrorReadLine();
        return worker;
    }

    /// <summary>As a crash or a pulled plug would: no chance to report anything.</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
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

    /// <summary>The built engine (Release or Debug, as this assembly), for workers and for the CLI.</summary>
    public static string FindWorkerDll()
    {
        var dll = Path.Combine(AppProcess.RepoRoot, "src", "Training", "bin", AppProcess.Configuration, "net10.0", "linux-x64", "TransferHub.Training.dll");
        return File.Exists(dll) ? dll : throw new FileNotFoundException("Build src/Training first.", dll);
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        _process.Dispose();
    }
}
