using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using TransferHub.Registry.Features.Artifacts;
using TransferHub.Shared.Experiments;
using TransferHub.Training.Strategies;
using TransferHub.Training.Worker;
using TransferHub.Web.Data;
using TransferHub.Web.Features.Experiments;

namespace TransferHub.Web.Features.Workers;

/// <summary>
/// The embedded default's training worker: the same <see cref="RunExecutor"/> as a remote worker, talking to
/// <see cref="WorkerControl"/> directly instead of over the worker hub. Only with <c>Workers:Embedded=InProcess</c> (tests on an
/// in-memory server): by default the embedded worker is a child process (<see cref="EmbeddedWorkerProcess"/>).
/// </summary>
public sealed class InProcessWorker(
    WorkerControl control, JobQueue queue, IDbContextFactory<AppDbContext> dbFactory, IArtifactStore artifacts,
    ILogger<InProcessWorker> logger, ILogger<Trainer> trainerLogger, IOptions<EmbeddedWorkerOptions> options) : BackgroundService
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "transferhub-worker");

    /// <summary>Lets a test act as two different workers.</summary>
    internal string WorkerId { get; set; } = $"in-process@{Environment.MachineName}";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (options.Value.Mode != EmbeddedWorkerMode.InProcess)
        {
            return;
        }
        var hello = new WorkerHello(WorkerId, WorkerHubContract.ProtocolVersion, "cpu", null, GC.GetGCMemoryInfo().TotalAvailableMemoryBytes, Environment.ProcessorCount);
        await control.RegisterAsync(hello, WorkerControl.InProcessKind, connectionId: null, principal: null, stoppingToken);
        // A graceful shutdown of the server hands the run back; a crash leaves it to its lease.
        await Executor(releaseOnStop: true).RunLoopAsync(stoppingToken);
    }

    /// <summary>Trains one claimed run to the end; internal so tests can stop it half way, as a killed worker would be.</summary>
    internal Task ExecuteRunAsync(ClaimedRun run, CancellationToken stoppingToken) => Executor().ExecuteAsync(run, stoppingToken);

    private RunExecutor Executor(bool releaseOnStop = false) =>
        new(new InProcessWorkerHost(WorkerId, control, queue, dbFactory, artifacts), trainerLogger, logger, Path.Combine(_root, WorkerId), releaseOnStop);
}
