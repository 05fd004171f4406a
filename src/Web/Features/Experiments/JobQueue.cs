using TransferHub.Shared.Telemetry;
using System.Diagnostics;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using TransferHub.Shared.Experiments;
using TransferHub.Web.Data;
using TransferHub.Web.Infrastructure;

namespace TransferHub.Web.Features.Experiments;

/// <summary>
/// The training job queue, in the database. A claim is a conditional update keyed on the run's attempt
/// number, so of many workers claiming at once exactly one gets each run. A lease that runs out puts the
/// run back (the next claim resumes from its checkpoint); after <see cref="JobQueueOptions.MaxAttempts"/>
/// attempts it fails with the last error. Cancel reaches a running worker at its next heartbeat.
/// </summary>
public sealed class JobQueue(IDbContextFactory<AppDbContext> dbFactory, WriteGate writes, TimeProvider clock, IOptions<JobQueueOptions> options, AppMetrics metrics)
{
    private readonly SemaphoreSlim _work = new(0);

    private JobQueueOptions Options => options.Value;

    public TimeSpan Lease => Options.Lease;

    /// <summary>Raised after runs are queued (the worker hub wakes remote workers with it).</summary>
    public event EventHandler? WorkQueued;

    /// <summary>Returns when runs were queued (or after <paramref name="timeout"/>), so idle workers wake at once.</summary>
    public async Task WaitForWorkAsync(TimeSpan timeout, CancellationToken ct) => await _work.WaitAsync(timeout, ct);

    public async Task EnqueueAsync(IEnumerable<TrainingRun> runs, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        Stage(db, runs);
        await db.SaveChangesAsync(ct);
        await SignalAsync(db, ct);
    }

    /// <summary>Adds pending runs to a context the caller saves together with what the runs belong to; <see cref="SignalAsync"/> after saving.</summary>
    public void Stage(AppDbContext db, IEnumerable<TrainingRun> runs)
    {
        var now = clock.GetUtcNow();
        // The worker continues the trace that queued the run (an API request's, or the page's experiment.create span).
        var trace = Activity.Current is { IdFormat: ActivityIdFormat.W3C } current ? current.Id : null;
        foreach (var run in runs)
        {
            run.Status = RunStatus.Pending;
            run.CreatedAt = now;
            run.TraceParent ??= trace;
            db.TrainingRuns.Add(run);
        }
    }

    /// <summary>Wakes waiting workers: new runs were saved (<paramref name="db"/> counts the queue for its gauge).</summary>
    public async Task SignalAsync(AppDbContext db, CancellationToken ct)
    {
        await CountPendingAsync(db, ct);
        _work.Release();
        WorkQueued?.Invoke(this, EventArgs.Empty);
    }

    public async Task<ClaimedRun?> ClaimAsync(string workerId, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var now = clock.GetUtcNow();
        var candidates = await db.TrainingRuns.AsNoTracking()
            .Where(r => !r.CancelRequested && (r.Status == RunStatus.Pending || (r.Status == RunStatus.Running && r.LeaseUntil < now)))
            .OrderByDescending(r => r.Priority).ThenBy(r => r.CreatedAt).ThenBy(r => r.Id)
            .Take(20).ToListAsync(ct);
        var busy = await db.TrainingRuns.Where(r => r.Status == RunStatus.Running && r.LeaseUntil >= now)
            .GroupBy(r => r.ProjectId).Select(g => new { g.Key, Count = g.Count() }).ToDictionaryAsync(g => g.Key, g => g.Count, ct);
        foreach (var run in candidates)
        {
            if (busy.GetValueOrDefault(run.ProjectId) >= Options.MaxConcurrentPerProject)
            {
                continue;
            }
            using var gate = await writes.EnterAsync(ct);
            if (run.Status == RunStatus.Running && run.Attempt >= Options.MaxAttempts)
            {
                // Its last worker vanished on the last attempt: fail it instead of handing it out again.
                await db.TrainingRuns.Where(r => r.Id == run.Id && r.Attempt == run.Attempt && r.Status == RunStatus.Running && r.LeaseUntil < now)
                    .ExecuteUpdateAsync(s => s.SetProperty(r => r.Status, RunStatus.Failed).SetProperty(r => r.LeasedBy, (string?)null)
                        .SetProperty(r => r.CompletedAt, now)
                        .SetProperty(r => r.Error, $"The worker stopped answering on attempt {run.Attempt} of {Options.MaxAttempts}. {run.Error}".Trim()), ct);
                continue;
            }
            var leaseUntil = now + Options.Lease;
            var claimed = await db.TrainingRuns
                .Where(r => r.Id == run.Id && r.Attempt == run.Attempt && !r.CancelRequested
                    && (r.Status == RunStatus.Pending || (r.Status == RunStatus.Running && r.LeaseUntil < now)))
                .ExecuteUpdateAsync(s => s
                    .SetProperty(r => r.Status, RunStatus.Running)
                    .SetProperty(r => r.LeasedBy, workerId)
                    .SetProperty(r => r.LeaseUntil, leaseUntil)
                    .SetProperty(r => r.Attempt, r => r.Attempt + 1)
                    .SetProperty(r => r.StartedAt, r => r.StartedAt ?? now), ct);
            if (claimed == 1)
            {
                if (run.Status == RunStatus.Running)
                {
                    metrics.LeaseExpired();
                }
                else if (run.Attempt == 0)
                {
                    metrics.ClaimWaited(now - run.CreatedAt);
                }
                await CountPendingAsync(db, ct);
                return new ClaimedRun(run.Id, run.ExperimentId, run.Attempt + 1, run.SpecJson, run.CheckpointKey, leaseUntil, run.TraceParent);
            }
        }
        return null;
    }

    private async Task CountPendingAsync(AppDbContext db, CancellationToken ct) =>
        metrics.QueueDepth(await db.TrainingRuns.CountAsync(r => r.Status == RunStatus.Pending && !r.CancelRequested, ct));

    public async Task<HeartbeatReply> HeartbeatAsync(Guid runId, string workerId, string? checkpointKey, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var now = clock.GetUtcNow();
        var leaseUntil = now + Options.Lease;
        using var gate = await writes.EnterAsync(ct);
        var extended = await db.TrainingRuns
            .Where(r => r.Id == runId && r.LeasedBy == workerId && r.Status == RunStatus.Running && !r.CancelRequested)
            .ExecuteUpdateAsync(s => s.SetProperty(r => r.LeaseUntil, leaseUntil)
                .SetProperty(r => r.CheckpointKey, r => checkpointKey ?? r.CheckpointKey), ct);
        if (extended == 1)
        {
            return new HeartbeatReply(true, leaseUntil, null);
        }
        var run = await db.TrainingRuns.SingleOrDefaultAsync(r => r.Id == runId, ct);
        if (run is { CancelRequested: true, Status: RunStatus.Running } && run.LeasedBy == workerId)
        {
            run.Status = RunStatus.Cancelled;
            run.LeasedBy = null;
            run.CompletedAt = now;
            await db.SaveChangesAsync(ct);
            return new HeartbeatReply(false, null, "The run was cancelled.");
        }
        return new HeartbeatReply(false, null, run is null ? "The run no longer exists." : "This worker no longer holds the run (its lease ran out).");
    }

    public async Task CompleteAsync(Guid runId, string workerId, string resultJson, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var now = clock.GetUtcNow();
        using var gate = await writes.EnterAsync(ct);
        var done = await db.TrainingRuns.Where(r => r.Id == runId && r.LeasedBy == workerId && r.Status == RunStatus.Running)
            .ExecuteUpdateAsync(s => s.SetProperty(r => r.Status, RunStatus.Succeeded).SetProperty(r => r.ResultJson, resultJson)
                .SetProperty(r => r.LeasedBy, (string?)null).SetProperty(r => r.CompletedAt, now).SetProperty(r => r.Error, (string?)null), ct);
        if (done == 0)
        {
            throw new ConflictException("This worker does not hold the run: its result is refused (another worker may be running it).");
        }
    }

    public async Task FailAsync(Guid runId, string workerId, string error, CancellationToken ct, bool retry = true)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var now = clock.GetUtcNow();
        error = error.Length > 4000 ? error[..4000] : error;
        using var gate = await writes.EnterAsync(ct);
        var run = await db.TrainingRuns.SingleOrDefaultAsync(r => r.Id == runId && r.LeasedBy == workerId && r.Status == RunStatus.Running, ct)
            ?? throw new ConflictException("This worker does not hold the run.");
        var final = !retry || run.Attempt >= Options.MaxAttempts;
        run.Status = final ? RunStatus.Failed : RunStatus.Pending;
        run.Error = !retry ? error : final ? $"Failed {run.Attempt} times; last error: {error}" : error;
        run.LeasedBy = null;
        run.LeaseUntil = null;
        run.CompletedAt = final ? now : null;
        await db.SaveChangesAsync(ct);
    }

    /// <summary>
    /// A worker shutting down gracefully hands its run back: waiting again at once (not after the lease), with the
    /// attempt not counted, resuming from the last checkpoint it uploaded. False when it no longer held the run.
    /// </summary>
    public async Task<bool> ReleaseAsync(Guid runId, string workerId, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        int released;
        using (await writes.EnterAsync(ct))
        {
            released = await db.TrainingRuns.Where(r => r.Id == runId && r.LeasedBy == workerId && r.Status == RunStatus.Running && !r.CancelRequested)
                .ExecuteUpdateAsync(s => s.SetProperty(r => r.Status, RunStatus.Pending).SetProperty(r => r.LeasedBy, (string?)null)
                    .SetProperty(r => r.LeaseUntil, (DateTimeOffset?)null).SetProperty(r => r.Attempt, r => r.Attempt - 1), ct);
        }
        if (released == 1)
        {
            _work.Release();
            WorkQueued?.Invoke(this, EventArgs.Empty);
        }
        return released == 1;
    }

    /// <summary>
    /// Ends the leases of every run <paramref name="workerId"/> holds, for a worker known to be dead (its process exited):
    /// the next claim takes them up at once, as another attempt that resumes from the checkpoint, instead of after the lease.
    /// </summary>
    public async Task<int> ExpireLeasesAsync(string workerId, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var expired = clock.GetUtcNow().AddTicks(-1);
        int count;
        using (await writes.EnterAsync(ct))
        {
            count = await db.TrainingRuns.Where(r => r.LeasedBy == workerId && r.Status == RunStatus.Running)
                .ExecuteUpdateAsync(s => s.SetProperty(r => r.LeaseUntil, expired), ct);
        }
        if (count > 0)
        {
            _work.Release();
            WorkQueued?.Invoke(this, EventArgs.Empty);
        }
        return count;
    }

    /// <summary>Cancels a run: a waiting one at once, a running one at its worker's next heartbeat.</summary>
    public async Task CancelAsync(Guid runId, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var now = clock.GetUtcNow();
        using var gate = await writes.EnterAsync(ct);
        var run = await db.TrainingRuns.SingleOrDefaultAsync(r => r.Id == runId, ct) ?? throw new NotFoundException($"Run {runId} does not exist.");
        if (run.Status == RunStatus.Pending)
        {
            run.Status = RunStatus.Cancelled;
            run.CompletedAt = now;
        }
        else if (run.Status == RunStatus.Running)
        {
            run.CancelRequested = true;
        }
        await db.SaveChangesAsync(ct);
    }

    /// <summary>Puts a finished run back in the queue with a new plan (a larger budget): its worker resumes from the run's last
    /// checkpoint. False when the run is not finished or has no checkpoint to resume from.</summary>
    public async Task<bool> ContinueAsync(Guid runId, string specJson, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        int updated;
        using (await writes.EnterAsync(ct))
        {
            updated = await db.TrainingRuns.Where(r => r.Id == runId && r.Status == RunStatus.Succeeded && r.CheckpointKey != null)
                .ExecuteUpdateAsync(s => s.SetProperty(r => r.Status, RunStatus.Pending).SetProperty(r => r.Attempt, 0).SetProperty(r => r.SpecJson, specJson)
                    .SetProperty(r => r.ResultJson, (string?)null).SetProperty(r => r.CompletedAt, (DateTimeOffset?)null).SetProperty(r => r.Error, (string?)null), ct);
        }
        if (updated == 1)
        {
            _work.Release();
            WorkQueued?.Invoke(this, EventArgs.Empty);
        }
        return updated == 1;
    }

    /// <summary>Puts a failed or cancelled run back in the queue with fresh attempts.</summary>
    public async Task RetryAsync(Guid runId, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        using var gate = await writes.EnterAsync(ct);
        var updated = await db.TrainingRuns.Where(r => r.Id == runId && (r.Status == RunStatus.Failed || r.Status == RunStatus.Cancelled))
            .ExecuteUpdateAsync(s => s.SetProperty(r => r.Status, RunStatus.Pending).SetProperty(r => r.Attempt, 0)
                .SetProperty(r => r.CancelRequested, false).SetProperty(r => r.CompletedAt, (DateTimeOffset?)null), ct);
        if (updated == 0)
        {
            throw new ConflictException("Only failed or cancelled runs can be retried.");
        }
        _work.Release();
        WorkQueued?.Invoke(this, EventArgs.Empty);
    }
}
