using Microsoft.Extensions.Logging;
using TransferHub.Training.Runtime;
using TransferHub.Training.Strategies;
using TransferHub.Training.Worker;

namespace TransferHub.Training.Cli;

// worker: a remote training worker — connects to the web's worker hub with a worker token and trains runs until stopped.
internal static class WorkerCommand
{
    public const string Usage =
        "worker --server <url> --token <thw_…> [--name <worker id> (default: machine-pid)] [--device auto] [--work-dir d]\n" +
        "      [--cpu-threads N (default: all cores on CPU, at most 4 beside a GPU)] [--exit-with <pid> (stop when that process is gone)]\n" +
        "      (the token may also come from TRANSFERHUB_WORKER_TOKEN, so it stays out of the process list)";

    public static int Run(CliArguments args, CancellationToken stop)
    {
        var server = new Uri(args.Required("server").TrimEnd('/') + "/");
        var token = args.Get("token") ?? Environment.GetEnvironmentVariable("TRANSFERHUB_WORKER_TOKEN")
            ?? throw new CliException("--token (or TRANSFERHUB_WORKER_TOKEN) is required.");
        var name = args.Get("name") ?? $"{Environment.MachineName}-{Environment.ProcessId}";
        var device = args.Get("device");
        var workDir = args.Get("work-dir") ?? Path.Combine(Path.GetTempPath(), "transferhub-remote-worker");
        var cpuThreads = args.Int("cpu-threads", 0);
        var parent = args.Int("exit-with", 0);
        args.EnsureAllUsed();
        using var orphaned = CancellationTokenSource.CreateLinkedTokenSource(stop);
        if (parent > 0) _ = ExitWithAsync(parent, orphaned);
        stop = orphaned.Token;
        TorchRuntime.ConfigureCpuThreads(TorchRuntime.ResolveDevice(device), cpuThreads);

        using var tracing = WorkerTelemetry.ExportIfConfigured();
        using var logging = LoggerFactory.Create(b => b.AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss "; }));
        var logger = logging.CreateLogger("Worker");
        var hello = WorkerDevice.Describe(name, device);
        return RunAsync(server, token, hello, logging, logger, workDir, stop).GetAwaiter().GetResult();
    }

    // The embedded worker's parent is the web server: if it dies without stopping us (SIGKILL, a crash), we stop too,
    // handing the run back, instead of reconnecting to nobody forever.
    private static async Task ExitWithAsync(int parentId, CancellationTokenSource stop)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(2));
        while (await timer.WaitForNextTickAsync(CancellationToken.None).ConfigureAwait(false) && !stop.IsCancellationRequested)
        {
            try
            {
                using var parent = System.Diagnostics.Process.GetProcessById(parentId);
                if (!parent.HasExited) continue;
            }
            catch (ArgumentException)
            {
            }
            Console.Error.WriteLine($"error: parent process {parentId} is gone; stopping.");
            await stop.CancelAsync();
            return;
        }
    }

    private static async Task<int> RunAsync(Uri server, string token, Shared.Experiments.WorkerHello hello, ILoggerFactory logging, ILogger logger,
        string workDir, CancellationToken stop)
    {
        await using var host = new RemoteWorkerHost(server, token, hello, logger);
        try
        {
            await host.ConnectAsync(stop);
        }
        catch (Exception e) when (e is HttpRequestException or System.Net.WebSockets.WebSocketException or Microsoft.AspNetCore.SignalR.HubException)
        {
            Console.Error.WriteLine($"error: the server refused the worker: {e.Message}");
            return 3;
        }
        // The clock is printed for whoever debugs a fleet: leases run on the server's clock alone, so skew does not matter.
        Console.WriteLine($"worker {hello.WorkerId} on {hello.Device} ({hello.DeviceName}) connected to {server}; " +
                          $"local clock {TimeProvider.System.GetUtcNow():O}");
        try
        {
            await new RunExecutor(host, logging.CreateLogger<Trainer>(), logger, workDir, releaseOnStop: true).RunLoopAsync(stop);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // Ctrl+C or SIGTERM: the run in progress was handed back and resumes elsewhere from its last checkpoint.
        }
        return 0;
    }
}
