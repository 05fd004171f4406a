using System.Diagnostics;
using System.Runtime.InteropServices;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Options;
using TransferHub.Web.Features.Experiments;

namespace TransferHub.Web.Features.Workers;

/// <summary>What the Workers page and <c>GET /api/workers/embedded</c> say about the server's own worker process.</summary>
public sealed record EmbeddedWorkerStatus(string Mode, string State, int? ProcessId, int Restarts, string? LastExit, DateTimeOffset? NextStartAt);

/// <summary>
/// Runs the server's own training worker as a child process (<c>TransferHub.Training worker</c>, the same program and
/// worker protocol as a remote worker): started once the server listens, started again with a doubling delay whenever
/// it exits, stopped with the server. libtorch never loads into the web process, so a native crash in training costs
/// one run attempt — the run resumes from its checkpoint — and the portal stays up.
/// </summary>
public sealed partial class EmbeddedWorkerProcess(
    IServer server, IHostApplicationLifetime lifetime, EmbeddedWorkerSecret secret, IOptions<EmbeddedWorkerOptions> options, JobQueue queue,
    TimeProvider clock, ILogger<EmbeddedWorkerProcess> logger) : BackgroundService
{
    // A child that ran this long before exiting was healthy: the next restart waits one second again.
    private static readonly TimeSpan HealthyRun = TimeSpan.FromMinutes(2);
    private static readonly TimeSpan GracefulStop = TimeSpan.FromSeconds(15);

    private readonly Lock _gate = new();
    private Process? _child;
    private volatile bool _stopping;
    private EmbeddedWorkerStatus _status = new(options.Value.Mode.ToString(), "starting", null, 0, null, null);

    /// <summary>embedded@{machine}-{port}: unique per server on a machine (two nodes' children must not share leases), stable across restarts.</summary>
    public string WorkerId { get; private set; } = $"embedded@{Environment.MachineName}";

    public EmbeddedWorkerStatus Status
    {
        get { lock (_gate) return _status; }
        private set { lock (_gate) _status = value; }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (options.Value.Mode != EmbeddedWorkerMode.Process)
        {
            Status = Status with { State = "off" };
            return;
        }
        // The child connects to this server's own address, known once Kestrel listens.
        await WhenStartedAsync(stoppingToken);
        if (TryServerAddress() is { } address) WorkerId = $"embedded@{Environment.MachineName}-{new Uri(address).Port}";
        var delay = TimeSpan.FromSeconds(1);
        while (!stoppingToken.IsCancellationRequested)
        {
            var started = clock.GetTimestamp();
            int exitCode;
            try
            {
                exitCode = await RunChildAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception or IOException)
            {
                LogStartFailed(logger, e);
                exitCode = -1;
            }
            if (_stopping) break;
            delay = clock.GetElapsedTime(started) >= HealthyRun ? TimeSpan.FromSeconds(1) : delay;
            var exit = Describe(exitCode);
            Status = Status with { State = "restarting", ProcessId = null, Restarts = Status.Restarts + 1, LastExit = exit, NextStartAt = clock.GetUtcNow() + delay };
            LogExited(logger, exit, delay.TotalSeconds);
            // Its runs are free at once: the next child (or any worker) resumes them from their checkpoints.
            try
            {
                await queue.ExpireLeasesAsync(WorkerId, CancellationToken.None);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogLeasesNotFreed(logger, e); // they expire with their lease instead; the supervisor must keep going
            }
            await Task.Delay(delay, clock, stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, options.Value.MaxRestartDelay.Ticks));
        }
        Status = Status with { State = "stopped", ProcessId = null, NextStartAt = null };
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        _stopping = true;
        Process? child;
        lock (_gate) child = _child;
        if (child is not null) await StopChildAsync(child);
        await base.StopAsync(cancellationToken);
    }

    private async Task<int> RunChildAsync(CancellationToken stoppingToken)
    {
        using var child = new Process { StartInfo = StartInfo(), EnableRaisingEvents = true };
        child.OutputDataReceived += (_, e) => { if (e.Data is { Length: > 0 } line) LogChild(logger, line); };
        child.ErrorDataReceived += (_, e) => { if (e.Data is { Length: > 0 } line) LogChildError(logger, line); };
        child.Start();
        child.BeginOutputReadLine();
        child.BeginErrorReadLine();
        lock (_gate) _child = child;
        Status = Status with { State = "running", ProcessId = child.Id, NextStartAt = null };
        LogStarted(logger, child.Id, child.StartInfo.FileName);
        try
        {
            await child.WaitForExitAsync(stoppingToken);
            return child.ExitCode;
        }
        finally
        {
            lock (_gate) _child = null;
        }
    }

    private ProcessStartInfo StartInfo()
    {
        var info = TrainingProgram.StartInfo(
        [
            "worker", "--server", ServerAddress(), "--name", WorkerId, "--device", options.Value.Device,
            "--work-dir", Path.Combine(Path.GetTempPath(), "transferhub-worker", WorkerId),
            "--exit-with", Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--cpu-threads", CpuThreads.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ]);
        // In the environment, not the arguments: the process list shows arguments to every local user.
        info.Environment["TRANSFERHUB_WORKER_TOKEN"] = secret.Value;
        return info;
    }

    private int CpuThreads => options.Value.CpuThreads > 0 ? options.Value.CpuThreads : Math.Max(1, Environment.ProcessorCount - 1);

    // The first address Kestrel listens on, plain HTTP preferred (a development certificate would not be trusted by the
    // child), with a wildcard host turned into loopback.
    private string ServerAddress() =>
        TryServerAddress() ?? throw new InvalidOperationException("The server listens on no address the embedded worker could reach.");

    private string? TryServerAddress()
    {
        var addresses = server.Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
        var address = addresses.FirstOrDefault(a => a.StartsWith("http://", StringComparison.OrdinalIgnoreCase)) ?? addresses.FirstOrDefault();
        if (address is null) return null;
        var uri = new UriBuilder(address.Replace("://+", "://localhost").Replace("://*", "://localhost"));
        if (uri.Host is "0.0.0.0" or "[::]" or "::") uri.Host = "127.0.0.1";
        return uri.Uri.ToString().TrimEnd('/');
    }

    private Task WhenStartedAsync(CancellationToken ct)
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lifetime.ApplicationStarted.Register(() => started.TrySetResult());
        return started.Task.WaitAsync(ct);
    }

    // SIGTERM first: the worker hands its run back (it resumes from the checkpoint); a kill when it does not exit in time.
    private async Task StopChildAsync(Process child)
    {
        try
        {
            if (!OperatingSystem.IsWindows() && SendSignal(child.Id, SigTerm) == 0)
            {
                using var timeout = new CancellationTokenSource(GracefulStop);
                try
                {
                    await child.WaitForExitAsync(timeout.Token);
                    return;
                }
                catch (OperationCanceledException)
                {
                    LogKilled(logger, child.Id);
                }
            }
            child.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // It had already exited.
        }
    }

    internal static string Describe(int exitCode) => exitCode switch
    {
        0 => "exited normally",
        -1 => "could not start",
        // .NET reports a process ended by signal N as exit code 128 + N.
        > 128 and < 160 => $"killed by signal {exitCode - 128}" + (exitCode - 128) switch
        {
            6 => " (SIGABRT, a native abort)",
            9 => " (SIGKILL)",
            11 => " (SIGSEGV, a native crash)",
            15 => " (SIGTERM)",
            _ => "",
        },
        _ => $"exit code {exitCode}",
    };

    private const int SigTerm = 15;

    [DllImport("libc", EntryPoint = "kill")]
    private static extern int SendSignal(int pid, int signal);

    [LoggerMessage(LogLevel.Information, "Embedded worker process {ProcessId} started ({Program})")]
    private static partial void LogStarted(ILogger logger, int processId, string program);

    [LoggerMessage(LogLevel.Warning, "Embedded worker process {Exit}; starting it again in {Seconds} s")]
    private static partial void LogExited(ILogger logger, string exit, double seconds);

    [LoggerMessage(LogLevel.Error, "Embedded worker process could not start")]
    private static partial void LogStartFailed(ILogger logger, Exception exception);

    [LoggerMessage(LogLevel.Warning, "The dead embedded worker's runs could not be freed at once; they wait for their lease")]
    private static partial void LogLeasesNotFreed(ILogger logger, Exception exception);

    [LoggerMessage(LogLevel.Warning, "Embedded worker process {ProcessId} did not stop in time and was killed")]
    private static partial void LogKilled(ILogger logger, int processId);

    [LoggerMessage(LogLevel.Information, "worker: {Line}")]
    private static partial void LogChild(ILogger logger, string line);

    [LoggerMessage(LogLevel.Warning, "worker: {Line}")]
    private static partial void LogChildError(ILogger logger, string line);
}
