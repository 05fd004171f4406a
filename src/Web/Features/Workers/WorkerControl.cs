using TransferHub.Shared.Telemetry;
using System.IO.Compression;
using System.Text.Json;
using Microsoft.AspNetCore.SignalR;
using Microsoft.EntityFrameworkCore;
using TransferHub.Registry.Features.Artifacts;
using TransferHub.Shared.Experiments;
using TransferHub.Shared.Training;
using TransferHub.Web.Data;
using TransferHub.Web.Features.Experiments;
using TransferHub.Web.Infrastructure;

namespace TransferHub.Web.Features.Workers;

/// <summary>
/// The server's side of the worker protocol, shared by the in-process worker and the worker hub + HTTP routes:
/// the queue's claims and leases, plus what the web keeps of a run (epochs, checkpoints, model), the
/// worker directory, and the "experiment changed" events the pages listen to. Only the worker holding a
/// run's lease may write to it, so a worker that lost its lease cannot overwrite its successor's work.
/// </summary>
public sealed class WorkerControl(
    JobQueue queue, IDbContextFactory<AppDbContext> dbFactory, WriteGate writes, IArtifactStore artifacts, ExperimentEvents events,
    ExperimentService experiments, IHubContext<ExperimentHub> watchers, TimeProvider clock, AppMetrics telemetry)
{
    public const string InProcessKind = "in-process";
    public const string EmbeddedKind = "embedded";
    public const string RemoteKind = "remote";

    /// <summary>A worker not heard from for this long (plus its lease) is shown offline.</summary>
    private static readonly TimeSpan Touch = TimeSpan.FromSeconds(15);

    public TimeSpan Lease => queue.Lease;

    /// <summary>
    /// Registers (or re-registers) a worker over the hub connection <paramref name="connectionId"/> (null in-process) for the
    /// credential <paramref name="principal"/>. A worker id belongs to the first credential that registers it while that
    /// credential is valid: another worker token cannot take it over, nor the runs it holds.
    /// </summary>
    public async Task<WorkerWelcome> RegisterAsync(WorkerHello hello, string kind, string? connectionId, string? principal, CancellationToken ct)
    {
        if (hello.ProtocolVersion != WorkerHubContract.ProtocolVersion)
        {
            throw new ConflictException($"This server speaks worker protocol {WorkerHubContract.ProtocolVersion}; the worker speaks {hello.ProtocolVersion}. Run a worker built from the same release as the server.");
        }
        if (string.IsNullOrWhiteSpace(hello.WorkerId) || hello.WorkerId.Length > 200)
        {
            throw ValidationFailedException.For("workerId", "A worker id is 1–200 characters.");
        }
        // The server's own workers' names are reserved for them: a worker token cannot pose as one, nor take a name first.
        if (ReservedPrefix(hello.WorkerId) is { } reserved && reserved != kind)
        {
            throw new ForbiddenException($"Worker ids starting with {reserved}@ belong to the server's own worker; pick another --name.");
        }
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var now = clock.GetUtcNow();
        using (await writes.EnterAsync(ct))
        {
            var worker = await db.Workers.SingleOrDefaultAsync(w => w.Id == hello.WorkerId, ct);
            if (worker is null)
            {
                worker = new WorkerRecord { Id = hello.WorkerId, Kind = kind, Device = hello.Device };
                db.Workers.Add(worker);
            }
            else if (worker.Principal is { } owner && owner != principal && await IsValidAsync(db, owner, ct))
            {
                throw new ForbiddenException($"Worker id {hello.WorkerId} belongs to another worker token; pick another --name.");
            }
            worker.Principal = principal;
            worker.Kind = kind;
            worker.Device = hello.Device.Length > 16 ? hello.Device[..16] : hello.Device;
            worker.DeviceName = hello.DeviceName is { Length: > 200 } name ? name[..200] : hello.DeviceName;
            worker.MemoryBytes = hello.MemoryBytes;
            worker.CpuCores = hello.CpuCores;
            worker.Connected = true;
            worker.ConnectionId = connectionId;
            worker.ConnectedAt = now;
            worker.LastSeenAt = now;
            await db.SaveChangesAsync(ct);
        }
        return new WorkerWelcome(hello.WorkerId, queue.Lease);
    }

    /// <summary>Whether <paramref name="principal"/> speaks for the worker <paramref name="workerId"/> (file routes name it in a header).</summary>
    public async Task<bool> SpeaksForAsync(string workerId, string? principal, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.Workers.AnyAsync(w => w.Id == workerId && w.Principal == principal, ct);
    }

    // A worker token's principal is valid while the token is neither revoked nor expired; the embedded worker's always is.
    private async Task<bool> IsValidAsync(AppDbContext db, string principal, CancellationToken ct)
    {
        if (!principal.StartsWith(TokenPrincipalPrefix, StringComparison.Ordinal) || !Guid.TryParse(principal[TokenPrincipalPrefix.Length..], out var tokenId))
        {
            return true;
        }
        var token = await db.ApiTokens.SingleOrDefaultAsync(t => t.Id == tokenId, ct);
        return token is { RevokedAt: null } && (token.ExpiresAt is null || token.ExpiresAt > clock.GetUtcNow());
    }

    private static string? ReservedPrefix(string workerId) =>
        new[] { InProcessKind, EmbeddedKind }.FirstOrDefault(k => workerId.StartsWith(k + "@", StringComparison.OrdinalIgnoreCase));

    /// <summary>The name identifier of a worker token's principal: this prefix and the token's id.</summary>
    public const string TokenPrincipalPrefix = "worker:";

    /// <summary>
    /// The hub connection <paramref name="connectionId"/> closed. A worker that has registered again since (a new
    /// connection, perhaps on another node, before this one's loss was noticed) stays online.
    /// </summary>
    public async Task DisconnectedAsync(string workerId, string connectionId, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        using var gate = await writes.EnterAsync(ct);
        await db.Workers.Where(w => w.Id == workerId && w.ConnectionId == connectionId)
            .ExecuteUpdateAsync(s => s.SetProperty(w => w.Connected, false), ct);
    }

    public async Task<ClaimedRun?> ClaimAsync(string workerId, CancellationToken ct)
    {
        var run = await queue.ClaimAsync(workerId, ct);
        await TouchAsync(workerId, run?.RunId, force: run is not null, ct);
        if (run is not null)
        {
            await PublishForRunAsync(run.RunId, ct);
        }
        return run;
    }

    public async Task<HeartbeatReply> HeartbeatAsync(string workerId, Guid runId, CancellationToken ct)
    {
        var reply = await queue.HeartbeatAsync(runId, workerId, null, ct);
        await TouchAsync(workerId, reply.Continue ? runId : null, force: !reply.Continue, ct);
        if (!reply.Continue)
        {
            await PublishForRunAsync(runId, ct);
        }
        return reply;
    }

    public async Task RecordEpochAsync(string workerId, Guid runId, EpochMetrics metrics, CancellationToken ct)
    {
        var run = await RequireHeldAsync(workerId, runId, ct);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        using (await writes.EnterAsync(ct))
        {
            // A resumed attempt re-reports the epoch it repeats: the stored history keeps one row per epoch.
            await db.RunMetrics.Where(m => m.RunId == runId && m.Epoch == metrics.Epoch).ExecuteDeleteAsync(ct);
            db.RunMetrics.Add(new RunMetric { RunId = runId, Epoch = metrics.Epoch, Json = JsonSerializer.Serialize(metrics, WireJson.Options) });
            await db.SaveChangesAsync(ct);
        }
        telemetry.EpochReported(metrics.EpochSeconds);
        await experiments.NotifyWarningsAsync(run.ExperimentId, ct);
        await events.PublishAsync(run.ExperimentId);
        await watchers.Clients.Group(ExperimentHub.Group(run.ExperimentId))
            .SendAsync(ExperimentHubContract.EpochReported, new RunMetricDto(runId, metrics.Epoch, metrics), ct);
    }

    public async Task RecordStepsAsync(string workerId, Guid runId, IReadOnlyList<StepLoss> steps, CancellationToken ct)
    {
        if (steps.Count == 0)
        {
            return;
        }
        var run = await RequireHeldAsync(workerId, runId, ct);
        var first = steps.Min(s => s.Step);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        using (await writes.EnterAsync(ct))
        {
            // A resumed attempt replays the steps after its checkpoint: they replace what the last attempt sent.
            await db.RunSteps.Where(b => b.RunId == runId && b.FirstStep >= first).ExecuteDeleteAsync(ct);
            db.RunSteps.Add(new RunStepBatch { RunId = runId, FirstStep = first, Json = JsonSerializer.Serialize(steps, WireJson.Options) });
            await db.SaveChangesAsync(ct);
        }
        var batch = new StepBatch(runId, steps);
        await events.PublishStepsAsync(run.ExperimentId, batch);
        await watchers.Clients.Group(ExperimentHub.Group(run.ExperimentId)).SendAsync(ExperimentHubContract.StepsReported, batch, ct);
    }

    public async Task SaveCheckpointAsync(string workerId, Guid runId, Stream content, CancellationToken ct)
    {
        await RequireHeldAsync(workerId, runId, ct);
        await artifacts.PutAsync(RunArtifacts.CheckpointKey(runId), content, ct);
        await queue.HeartbeatAsync(runId, workerId, RunArtifacts.CheckpointKey(runId), ct);
    }

    public async Task SaveModelAsync(string workerId, Guid runId, Stream content, CancellationToken ct)
    {
        await RequireHeldAsync(workerId, runId, ct);
        await artifacts.PutAsync(RunArtifacts.ModelKey(runId), content, ct);
    }

    public async Task CompleteAsync(string workerId, Guid runId, TrainingResult result, CancellationToken ct)
    {
        await queue.CompleteAsync(runId, workerId, JsonSerializer.Serialize(result, WireJson.Options), ct);
        await TouchAsync(workerId, null, force: true, ct);
        // Announced before the page hears of it: the last run's end may queue more seeds, and "finished" must not flash first.
        await experiments.AnnounceRunEndedAsync(runId, CancellationToken.None); // the run is stored: announce it even if the worker hangs up
        await PublishForRunAsync(runId, ct);
    }

    public async Task FailAsync(string workerId, Guid runId, string error, bool retry, CancellationToken ct)
    {
        await queue.FailAsync(runId, workerId, error, ct, retry);
        await TouchAsync(workerId, null, force: true, ct);
        // Announced before the page hears of it: the last run's end may queue more seeds, and "finished" must not flash first.
        await experiments.AnnounceRunEndedAsync(runId, CancellationToken.None); // the run is stored: announce it even if the worker hangs up
        await PublishForRunAsync(runId, ct);
    }

    public async Task<bool> ReleaseAsync(string workerId, Guid runId, CancellationToken ct)
    {
        var released = await queue.ReleaseAsync(runId, workerId, ct);
        await TouchAsync(workerId, null, force: true, ct);
        await PublishForRunAsync(runId, ct);
        return released;
    }

    /// <summary>The run's dataset version laid out for the engine, zipped into a temporary file the caller deletes.</summary>
    public async Task<string> ZipDatasetAsync(string workerId, Guid runId, CancellationToken ct)
    {
        var run = await RequireHeldAsync(workerId, runId, ct);
        var plan = JsonSerializer.Deserialize<RunPlan>(run.SpecJson, WireJson.Options)!;
        var folder = Path.Combine(Path.GetTempPath(), "transferhub-dataset-zips", Guid.NewGuid().ToString("N"));
        try
        {
            var data = await VersionLayout.WriteAsync(dbFactory, artifacts, plan.DatasetVersionId, folder, ct);
            var root = File.Exists(data) ? Path.GetDirectoryName(data)! : data;
            var zip = folder + ".zip";
            await ZipFile.CreateFromDirectoryAsync(root, zip, CompressionLevel.Fastest, includeBaseDirectory: false, ct);
            return zip;
        }
        finally
        {
            Training.Worker.RunExecutor.TryDelete(folder);
        }
    }

    public async Task<Stream> OpenSourceAsync(string workerId, Guid runId, CancellationToken ct)
    {
        var run = await RequireHeldAsync(workerId, runId, ct);
        var plan = JsonSerializer.Deserialize<RunPlan>(run.SpecJson, WireJson.Options)!;
        var key = plan.SourceRunId is { } source ? RunArtifacts.ModelKey(source)
            : plan.SourceWeightsId is { } weights ? Weights.PretrainedWeights.ArtifactKey(weights)
            : throw new NotFoundException("This run has no source model.");
        return await artifacts.OpenReadAsync(key, ct);
    }

    public async Task<Stream> OpenCheckpointAsync(string workerId, Guid runId, CancellationToken ct)
    {
        var run = await RequireHeldAsync(workerId, runId, ct);
        return await artifacts.OpenReadAsync(run.CheckpointKey ?? throw new NotFoundException("This run has no checkpoint yet."), ct);
    }

    /// <param name="canSeeProject">Whether the caller may see runs of a project: others see that a worker is busy, not on what.</param>
    public async Task<IReadOnlyList<WorkerDto>> ListAsync(Func<Guid, bool> canSeeProject, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var now = clock.GetUtcNow();
        var workers = await db.Workers.AsNoTracking().ToListAsync(ct);
        var runIds = workers.Where(w => w.CurrentRunId is not null).Select(w => w.CurrentRunId!.Value).ToList();
        var runs = await db.TrainingRuns.AsNoTracking().Where(r => runIds.Contains(r.Id))
            .Join(db.Experiments, r => r.ExperimentId, e => e.Id, (r, e) => new { r.Id, r.ExperimentId, r.ProjectId, r.Arm, r.Seed, e.Name, r.Status })
            .ToDictionaryAsync(r => r.Id, ct);
        return [.. workers.OrderByDescending(w => w.LastSeenAt).Select(w =>
        {
            var run = w.CurrentRunId is { } id && runs.TryGetValue(id, out var r) && r.Status == RunStatus.Running ? r : null;
            var online = w.Connected && now - w.LastSeenAt < queue.Lease + Touch + Touch;
            var visible = run is not null && canSeeProject(run.ProjectId);
            return new WorkerDto(w.Id, w.Kind, w.Device, w.DeviceName, w.MemoryBytes, w.CpuCores, online, run?.Id, visible ? run!.ExperimentId : null,
                run is null ? null : visible ? $"{run.Name} · {run.Arm} · seed {run.Seed}" : "a run of another project", w.ConnectedAt, w.LastSeenAt);
        })];
    }

    private async Task<TrainingRun> RequireHeldAsync(string workerId, Guid runId, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var run = await db.TrainingRuns.AsNoTracking().SingleOrDefaultAsync(r => r.Id == runId, ct)
            ?? throw new NotFoundException($"Run {runId} does not exist.");
        if (run.Status != RunStatus.Running || run.LeasedBy != workerId)
        {
            throw new ConflictException("This worker does not hold the run (its lease ran out or the run was cancelled).");
        }
        return run;
    }

    /// <summary>Records that a worker is alive (and what it runs); idle polls write at most every few seconds.</summary>
    private async Task TouchAsync(string workerId, Guid? runId, bool force, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var now = clock.GetUtcNow();
        var stale = now - Touch;
        using var gate = await writes.EnterAsync(ct);
        await db.Workers.Where(w => w.Id == workerId && (force || w.LastSeenAt < stale || w.CurrentRunId != runId))
            .ExecuteUpdateAsync(s => s.SetProperty(w => w.LastSeenAt, now).SetProperty(w => w.CurrentRunId, runId).SetProperty(w => w.Connected, true), ct);
    }

    /// <summary>Tells the portal's pages and the hub's watchers that a run changed state.</summary>
    private async Task PublishForRunAsync(Guid runId, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var run = await db.TrainingRuns.AsNoTracking().Where(r => r.Id == runId)
            .Select(r => new RunChange(r.ExperimentId, r.Id, r.Status, r.Attempt, r.Error)).SingleOrDefaultAsync(ct);
        if (run is not null)
        {
            await events.PublishAsync(run.ExperimentId);
            await watchers.Clients.Group(ExperimentHub.Group(run.ExperimentId)).SendAsync(ExperimentHubContract.RunChanged, run, ct);
        }
    }
}
