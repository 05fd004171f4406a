using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using TransferHub.Shared.Experiments;
using TransferHub.Web.Data;
using TransferHub.Web.Features.Experiments;
using TransferHub.Web.Features.Projects;
using TransferHub.Web.Infrastructure;

namespace TransferHub.Tests.Unit.Web.Experiments;

public sealed class JobQueueTests : IDisposable
{
    private readonly TestDatabase _db = new();
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.Parse("2026-11-22T12:00:00Z"));
    private readonly MetricsRecorder _metrics = new();
    private readonly JobQueue _queue;
    private readonly Guid _project;
    private readonly Dictionary<Guid, Guid> _experiments = [];

    public JobQueueTests()
    {
        _queue = new JobQueue(_db, new WriteGate(_db.Provider), _clock,
            Options.Create(new JobQueueOptions { Lease = TimeSpan.FromSeconds(30), MaxAttempts = 3, MaxConcurrentPerProject = 100 }), _metrics.Metrics);
        _project = NewProject();
    }

    private Guid NewProject()
    {
        using var db = _db.CreateDbContext();
        var project = new Project { Name = Guid.NewGuid().ToString("N"), CreatedById = "u" };
        var experiment = new Experiment { ProjectId = project.Id, Name = "e", Architecture = "small-cnn", CreatedById = "u" };
        db.Projects.Add(project);
        db.Experiments.Add(experiment);
        db.SaveChanges();
        _experiments[project.Id] = experiment.Id;
        return project.Id;
    }

    private async Task<List<TrainingRun>> EnqueueAsync(int count, Guid? project = null, int priority = 0)
    {
        var runs = Enumerable.Range(0, count).Select(i => new TrainingRun
        {
            ExperimentId = _experiments[project ?? _project], ProjectId = project ?? _project, Arm = "baseline", Seed = i, SpecJson = "{}", Priority = priority,
        }).ToList();
        await _queue.EnqueueAsync(runs, CancellationToken.None);
        return runs;
    }

    private TrainingRun Load(Guid id)
    {
        using var db = _db.CreateDbContext();
        return db.TrainingRuns.AsNoTracking().Single(r => r.Id == id);
    }

    [Fact]
    public async Task ConcurrentWorkersNeverGetTheSameRun()
    {
        var runs = await EnqueueAsync(40);

        var claimed = new System.Collections.Concurrent.ConcurrentBag<Guid>();
        await Task.WhenAll(Enumerable.Range(0, 8).Select(w => Task.Run(async () =>
        {
            while (await _queue.ClaimAsync($"worker-{w}", CancellationToken.None) is { } run)
            {
                claimed.Add(run.RunId);
            }
        })));

        claimed.Count.ShouldBe(40);
        claimed.Distinct().Count().ShouldBe(40);
        claimed.Order().ShouldBe(runs.Select(r => r.Id).Order());
    }

    [Fact]
    public async Task HigherPriorityRunsFirst()
    {
        await EnqueueAsync(2);
        var urgent = (await EnqueueAsync(1, priority: 5))[0];

        (await _queue.ClaimAsync("w", CancellationToken.None))!.RunId.ShouldBe(urgent.Id);
    }

    [Fact]
    public async Task AnExpiredLeaseReturnsTheRunWithItsCheckpoint()
    {
        var run = (await EnqueueAsync(1))[0];
        var first = await _queue.ClaimAsync("dies", CancellationToken.None);
        (await _queue.HeartbeatAsync(run.Id, "dies", "checkpoints/run/epoch-3.dat", CancellationToken.None)).Continue.ShouldBeTrue();
        (await _queue.ClaimAsync("other", CancellationToken.None)).ShouldBeNull();

        _clock.Advance(TimeSpan.FromSeconds(31));
        var second = await _queue.ClaimAsync("other", CancellationToken.None);

        first!.Attempt.ShouldBe(1);
        second!.RunId.ShouldBe(run.Id);
        second.Attempt.ShouldBe(2);
        second.CheckpointKey.ShouldBe("checkpoints/run/epoch-3.dat");
        var stale = await _queue.HeartbeatAsync(run.Id, "dies", null, CancellationToken.None);
        stale.Continue.ShouldBeFalse();
        await Should.ThrowAsync<ConflictException>(() => _queue.CompleteAsync(run.Id, "dies", "{}", CancellationToken.None));
        await _queue.CompleteAsync(run.Id, "other", "{\"f1\":0.9}", CancellationToken.None);
        Load(run.Id).Status.ShouldBe(RunStatus.Succeeded);
        _metrics.Values("transferhub.queue.lease_expiries").ShouldBe([1]);
    }

    [Fact]
    public async Task TheQueueReportsItsDepthAndHowLongAFirstClaimWaited()
    {
        await EnqueueAsync(3);
        _metrics.Values("transferhub.queue.depth").ShouldBe([3]);

        _clock.Advance(TimeSpan.FromSeconds(42));
        (await _queue.ClaimAsync("w", CancellationToken.None)).ShouldNotBeNull();

        _metrics.Values("transferhub.queue.claim_wait").ShouldBe([42]);
        _metrics.Values("transferhub.queue.depth")[^1].ShouldBe(2);
        _metrics.Values("transferhub.queue.lease_expiries").ShouldBeEmpty();
    }

    [Fact]
    public async Task ARunWhoseWorkersKeepVanishingFailsAfterThreeAttempts()
    {
        var run = (await EnqueueAsync(1))[0];
        for (var i = 0; i < 3; i++)
        {
            (await _queue.ClaimAsync($"w{i}", CancellationToken.None)).ShouldNotBeNull();
            _clock.Advance(TimeSpan.FromMinutes(1));
        }

        (await _queue.ClaimAsync("w4", CancellationToken.None)).ShouldBeNull();

        var failed = Load(run.Id);
        failed.Status.ShouldBe(RunStatus.Failed);
        failed.Error!.ShouldContain("stopped answering on attempt 3 of 3");
    }

    [Fact]
    public async Task ReportedFailuresRetryThenFailWithTheLastError()
    {
        var run = (await EnqueueAsync(1))[0];

        for (var i = 1; i <= 3; i++)
        {
            var claim = await _queue.ClaimAsync("w", CancellationToken.None);
            claim!.Attempt.ShouldBe(i);
            await _queue.FailAsync(run.Id, "w", $"NaN loss at epoch {i}", CancellationToken.None);
        }

        var failed = Load(run.Id);
        failed.Status.ShouldBe(RunStatus.Failed);
        failed.Error.ShouldBe("Failed 3 times; last error: NaN loss at epoch 3");
        await _queue.RetryAsync(run.Id, CancellationToken.None);
        (await _queue.ClaimAsync("w", CancellationToken.None))!.Attempt.ShouldBe(1);
    }

    [Fact]
    public async Task CancelStopsAWaitingRunAtOnceAndARunningOneAtItsNextHeartbeat()
    {
        var runs = await EnqueueAsync(2);
        var running = await _queue.ClaimAsync("w", CancellationToken.None);
        var waiting = runs.Single(r => r.Id != running!.RunId);

        await _queue.CancelAsync(waiting.Id, CancellationToken.None);
        await _queue.CancelAsync(running!.RunId, CancellationToken.None);
        var reply = await _queue.HeartbeatAsync(running.RunId, "w", null, CancellationToken.None);

        Load(waiting.Id).Status.ShouldBe(RunStatus.Cancelled);
        reply.ShouldBe(new HeartbeatReply(false, null, "The run was cancelled."));
        Load(running.RunId).Status.ShouldBe(RunStatus.Cancelled);
        (await _queue.ClaimAsync("w", CancellationToken.None)).ShouldBeNull();
    }

    [Fact]
    public async Task AProjectRunsNoMoreThanItsLimitAtOnce()
    {
        var limited = new JobQueue(_db, new WriteGate(DatabaseProvider.Sqlite), _clock,
            Options.Create(new JobQueueOptions { MaxConcurrentPerProject = 2 }), _metrics.Metrics);
        var other = NewProject();
        await EnqueueAsync(3);
        var otherRun = (await EnqueueAsync(1, other))[0];

        var a = await limited.ClaimAsync("w1", CancellationToken.None);
        var b = await limited.ClaimAsync("w2", CancellationToken.None);
        var c = await limited.ClaimAsync("w3", CancellationToken.None);
        var d = await limited.ClaimAsync("w4", CancellationToken.None);

        new[] { a, b }.ShouldAllBe(x => x != null && x.RunId != otherRun.Id);
        c!.RunId.ShouldBe(otherRun.Id);
        d.ShouldBeNull();
    }

    public void Dispose()
    {
        _metrics.Dispose();
        _db.Dispose();
    }
}
