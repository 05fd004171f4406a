using System.Net;
using System.Net.Http.Json;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using TransferHub.Shared.Experiments;
using TransferHub.Shared.Tokens;
using TransferHub.Shared.Training;
using TransferHub.Training.Strategies;
using TransferHub.Training.Worker;
using TransferHub.Web.Features.Experiments;
using TransferHub.Web.Features.Workers;
using TransferHub.Tests.Unit.Integration.Datasets;
using TransferHub.Tests.Unit.Integration.Experiments;

namespace TransferHub.Tests.Unit.Integration.Workers;

/// <summary>
/// The remote worker's code path — worker hub for the protocol, HTTP for files — against the real server
/// (test server transport). The e2e suite runs it as a separate process on loopback.
/// </summary>
[Trait("Category", "Slow")]
public sealed class RemoteWorkerTests(ManualWorkerFactory factory) : IClassFixture<ManualWorkerFactory>
{
    private async Task<string> WorkerTokenAsync(string name)
    {
        var created = await factory.AdminClient().PostAsJsonAsync("/api/admin/worker-tokens", new CreateTokenRequest(name, 0));
        return (await created.Content.ReadFromJsonAsync<CreatedTokenDto>(Json.Options))!.Token;
    }

    private HubConnection Watcher(HttpClient person) => new HubConnectionBuilder()
        .WithUrl(new Uri(factory.Server.BaseAddress, ExperimentHubContract.Route), o =>
        {
            o.HttpMessageHandlerFactory = _ => factory.Server.CreateHandler();
            o.Transports = Microsoft.AspNetCore.Http.Connections.HttpTransportType.LongPolling;
            o.AccessTokenProvider = () => Task.FromResult(person.DefaultRequestHeaders.Authorization?.Parameter);
        })
        .Build();

    private RemoteWorkerHost Host(string token, string workerId, int protocol = WorkerHubContract.ProtocolVersion) =>
        new(factory.Server.BaseAddress, token, new WorkerHello(workerId, protocol, "cpu", "test cpu", 1L << 30, 2), NullLogger.Instance, factory.Server.CreateHandler());

    [Fact]
    public async Task ARemoteWorkerTrainsRunsFromASourceOverTheHubAndIsListedWithItsRun()
    {
        var (s, version) = await ExperimentTests.ColoursAsync(factory);
        await using var host = Host(await WorkerTokenAsync("remote-a"), "remote-a");
        await host.ConnectAsync(CancellationToken.None);
        var executor = new RunExecutor(host, NullLogger<Trainer>.Instance, NullLogger.Instance, Path.Combine(factory.DataRoot, "th-remote-test"));
        using var stopFirst = new CancellationTokenSource();
        var loop = executor.RunLoopAsync(stopFirst.Token);
        var source = await CreateAsync(s, new CreateExperimentRequest("source", version.Id, "small-cnn", null, 1, 2, 12, 3e-3, 8));
        var sourceRun = (await WaitFinishedAsync(s, source.Id)).Runs.Single();
        sourceRun.Status.ShouldBe(RunStatus.Succeeded, sourceRun.Error);
        await StopAsync(stopFirst, loop);

        // An external client watches the next experiment over the experiments hub before the worker picks it up.
        await using var watcher = Watcher(s.Scientist);
        var epochs = new System.Collections.Concurrent.ConcurrentQueue<RunMetricDto>();
        var changes = new System.Collections.Concurrent.ConcurrentQueue<RunChange>();
        watcher.On<RunMetricDto>(ExperimentHubContract.EpochReported, epochs.Enqueue);
        var liveSteps = new System.Collections.Concurrent.ConcurrentQueue<StepBatch>();
        watcher.On<StepBatch>(ExperimentHubContract.StepsReported, liveSteps.Enqueue);
        var bothSucceeded = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        watcher.On<RunChange>(ExperimentHubContract.RunChanged, change =>
        {
            changes.Enqueue(change);
            if (changes.Count(c => c.Status == RunStatus.Succeeded) == 3)
            {
                bothSucceeded.TrySetResult();
            }
        });
        await watcher.StartAsync();
        await using var outsider = Watcher(s.Outsider);
        await outsider.StartAsync();
        var transfer = await CreateAsync(s, new CreateExperimentRequest("transfer", version.Id, "small-cnn",
            [new ArmRequest("fine-tune", TrainingStrategy.FineTune, sourceRun.Id), new ArmRequest("unfreeze", TrainingStrategy.ProgressiveUnfreeze, sourceRun.Id)],
            1, 2, 12, 3e-3, 8));
        await watcher.InvokeAsync(ExperimentHubContract.Watch, transfer.Id);
        (await Should.ThrowAsync<HubException>(() => outsider.InvokeAsync(ExperimentHubContract.Watch, transfer.Id))).Message.ShouldContain("Forbidden");
        using var stop = new CancellationTokenSource();
        loop = executor.RunLoopAsync(stop.Token);
        try
        {
            var workersWhileRunning = await WaitForAsync(transfer.Id, async () =>
            {
                var list = await s.Scientist.GetFromJsonAsync<List<WorkerDto>>("/api/workers", Json.Options);
                return list!.SingleOrDefault(w => w.WorkerId == "remote-a" && w.CurrentRunId is not null);
            });
            var done = await WaitFinishedAsync(s, transfer.Id);

            done.Runs.ShouldAllBe(r => r.Status == RunStatus.Succeeded && r.EpochsDone == 2 && r.TestMacroF1 != null);
            workersWhileRunning.Kind.ShouldBe("remote");
            workersWhileRunning.Online.ShouldBeTrue();
            workersWhileRunning.DeviceName.ShouldBe("test cpu");
            workersWhileRunning.CurrentRun!.ShouldStartWith("transfer · ");
            var outsiderView = (await s.Outsider.GetFromJsonAsync<List<WorkerDto>>("/api/workers", Json.Options))!.Single(w => w.WorkerId == "remote-a");
            outsiderView.CurrentExperimentId.ShouldBeNull();
            var metrics = await s.Scientist.GetFromJsonAsync<List<RunMetricDto>>($"/api/runs/{done.Runs[0].Id}/metrics", Json.Options);
            metrics!.Select(m => m.Epoch).ShouldBe([1, 2]);
            await bothSucceeded.Task.WaitAsync(TimeSpan.FromSeconds(30)); // messages are sent in order: every epoch came before
            // Per-step losses: streamed to the watcher in batches and stored, one per optimizer step, in order.
            var stored = await s.Scientist.GetFromJsonAsync<List<StepLoss>>($"/api/runs/{done.Runs[0].Id}/steps", Json.Options);
            stored!.Count.ShouldBeGreaterThan(2);
            stored.Select(x => x.Step).ShouldBe(stored.Select(x => x.Step).Order().Distinct());
            stored.Select(x => x.Epoch).Distinct().Order().ShouldBe([1, 2]);
            liveSteps.Where(b => b.RunId == done.Runs[0].Id).Sum(b => b.Steps.Count).ShouldBe(stored.Count);
            // Progressive unfreezing trains the head alone in epoch 1 and adds the top block in epoch 2: marked on its curve.
            done.Curves.Single(c => c.Arm == "unfreeze").StageEpochs.ShouldBe([2]);
            done.Curves.Single(c => c.Arm == "fine-tune").StageEpochs.ShouldBeEmpty();
            epochs.Select(e => (e.RunId, e.Epoch)).Order().ShouldBe(done.Runs.SelectMany(r => new[] { (r.Id, 1), (r.Id, 2) }).Order());
            changes.Where(c => c.Status == RunStatus.Succeeded).Select(c => c.RunId).Order().ShouldBe(done.Runs.Select(r => r.Id).Order());
            var artifacts = factory.Services.GetRequiredService<TransferHub.Registry.Features.Artifacts.IArtifactStore>();
            (await artifacts.GetInfoAsync(RunArtifacts.ModelKey(done.Runs[0].Id), CancellationToken.None)).ShouldNotBeNull();
        }
        finally
        {
            await StopAsync(stop, loop);
        }
    }

    [Fact]
    public async Task ARunsWorkerContinuesTheTraceOfTheRequestThatQueuedIt()
    {
        var (s, version) = await ExperimentTests.ColoursAsync(factory);
        var spans = new System.Collections.Concurrent.ConcurrentQueue<System.Diagnostics.Activity>();
        using var listener = new System.Diagnostics.ActivityListener
        {
            ShouldListenTo = source => source.Name is "TransferHub" or WorkerTelemetry.SourceName,
            Sample = (ref System.Diagnostics.ActivityCreationOptions<System.Diagnostics.ActivityContext> _) => System.Diagnostics.ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = spans.Enqueue,
        };
        System.Diagnostics.ActivitySource.AddActivityListener(listener);
        var traceId = System.Diagnostics.ActivityTraceId.CreateRandom();
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/projects/{s.ProjectId}/experiments")
        {
            Content = JsonContent.Create(new CreateExperimentRequest("traced", version.Id, "small-cnn", null, 1, 2, 12, 3e-3, 8), options: Json.Options),
        };
        request.Headers.Add("traceparent", $"00-{traceId}-{System.Diagnostics.ActivitySpanId.CreateRandom()}-01"); // as an instrumented client sends
        var created = await s.Scientist.SendAsync(request);
        created.StatusCode.ShouldBe(HttpStatusCode.Created, await created.Content.ReadAsStringAsync());
        var experiment = (await created.Content.ReadFromJsonAsync<ExperimentDto>(Json.Options))!;
        await using var host = Host(await WorkerTokenAsync("traced"), "traced");
        await host.ConnectAsync(CancellationToken.None);
        using var stop = new CancellationTokenSource();
        var loop = new RunExecutor(host, NullLogger<Trainer>.Instance, NullLogger.Instance, Path.Combine(factory.DataRoot, "th-traced")).RunLoopAsync(stop.Token);

        (await WaitFinishedAsync(s, experiment.Id)).Runs.Single().Status.ShouldBe(RunStatus.Succeeded);
        await StopAsync(stop, loop);

        // experiment.create (in the request's trace) → run.train on the worker, with an event per epoch.
        var create = spans.Single(a => a.OperationName == "experiment.create" && a.TraceId == traceId);
        var train = spans.Single(a => a.OperationName == "run.train" && a.TraceId == traceId);
        train.ParentSpanId.ShouldBe(create.SpanId);
        train.Status.ShouldBe(System.Diagnostics.ActivityStatusCode.Ok);
        train.Events.Count(e => e.Name == "epoch").ShouldBe(2);
        train.GetTagItem("transferhub.run.id").ShouldBe(experiment.Runs.Single().Id.ToString());
    }

    [Fact]
    public async Task AWorkerStoppedGracefullyHandsItsRunBackAndTheNextResumesFromItsCheckpoint()
    {
        var (s, version) = await ExperimentTests.ColoursAsync(factory);
        var token = await WorkerTokenAsync("graceful");
        var experiment = await CreateAsync(s, new CreateExperimentRequest("graceful", version.Id, "small-cnn", null, 1, 6, 12, 3e-3, 8, Patience: 0));
        var runId = experiment.Runs.Single().Id;
        await using var first = Host(token, "graceful-1");
        await first.ConnectAsync(CancellationToken.None);
        using var stop = new CancellationTokenSource();
        using var twoEpochs = factory.Services.GetRequiredService<ExperimentEvents>().Subscribe(experiment.Id, async () =>
        {
            var stored = await s.Scientist.GetFromJsonAsync<List<RunMetricDto>>($"/api/runs/{runId}/metrics", Json.Options);
            if (stored!.Count >= 2)
            {
                await stop.CancelAsync(); // Ctrl+C on the worker
            }
        });
        var firstLoop = new RunExecutor(first, NullLogger<Trainer>.Instance, NullLogger.Instance, Path.Combine(factory.DataRoot, "th-graceful-1"), releaseOnStop: true)
            .RunLoopAsync(stop.Token);
        await Should.ThrowAsync<OperationCanceledException>(() => firstLoop.WaitAsync(TimeSpan.FromMinutes(3))); // stopped mid-run by the subscription

        var handedBack = (await s.Scientist.GetFromJsonAsync<ExperimentDto>($"/api/experiments/{experiment.Id}", Json.Options))!.Runs.Single();
        (handedBack.Status, handedBack.Attempt).ShouldBe((RunStatus.Pending, 0)); // waiting again at once, the attempt not counted
        handedBack.EpochsDone.ShouldBeGreaterThanOrEqualTo(2);
        await using var second = Host(token, "graceful-2");
        await second.ConnectAsync(CancellationToken.None);
        using var stopSecond = new CancellationTokenSource();
        var loop = new RunExecutor(second, NullLogger<Trainer>.Instance, NullLogger.Instance, Path.Combine(factory.DataRoot, "th-graceful-2")).RunLoopAsync(stopSecond.Token);
        var done = await WaitFinishedAsync(s, experiment.Id);
        await StopAsync(stopSecond, loop);

        (done.Runs.Single().Status, done.Runs.Single().Attempt).ShouldBe((RunStatus.Succeeded, 1));
        var epochs = await s.Scientist.GetFromJsonAsync<List<RunMetricDto>>($"/api/runs/{runId}/metrics", Json.Options);
        epochs!.Select(m => m.Epoch).ShouldBe([1, 2, 3, 4, 5, 6]);
        var steps = await s.Scientist.GetFromJsonAsync<List<StepLoss>>($"/api/runs/{runId}/steps", Json.Options);
        steps!.Select(x => x.Step).ShouldBe(steps!.Select(x => x.Step).Order().Distinct()); // the replayed epoch replaced, not doubled
    }

    [Fact]
    public async Task AWorkerWhoseProxyFailsEveryThirdFileTransferFinishesOnItsFirstAttemptWithEachEpochStoredOnce()
    {
        var (s, version) = await ExperimentTests.ColoursAsync(factory);
        var token = await WorkerTokenAsync("behind-a-bad-proxy");
        var experiment = await CreateAsync(s, new CreateExperimentRequest("bad proxy", version.Id, "small-cnn", null, 1, 6, 12, 3e-3, 8, Patience: 0));
        var runId = experiment.Runs.Single().Id;
        var proxy = new FailingProxy(factory.Server.CreateHandler());
        await using var host = new RemoteWorkerHost(factory.Server.BaseAddress, token,
            new WorkerHello("behind-a-bad-proxy", WorkerHubContract.ProtocolVersion, "cpu", "test cpu", 1L << 30, 2), NullLogger.Instance, proxy,
            transferRetryDelay: TimeSpan.FromMilliseconds(10));
        await host.ConnectAsync(CancellationToken.None);
        using var stop = new CancellationTokenSource();
        var loop = new RunExecutor(host, NullLogger<Trainer>.Instance, NullLogger.Instance, Path.Combine(factory.DataRoot, "th-bad-proxy")).RunLoopAsync(stop.Token);
        var done = await WaitFinishedAsync(s, experiment.Id);
        await StopAsync(stop, loop);

        (done.Runs.Single().Status, done.Runs.Single().Attempt).ShouldBe((RunStatus.Succeeded, 1), done.Runs.Single().Error);
        proxy.Failed.ShouldBeGreaterThanOrEqualTo(2, "the dataset download and the model upload at least met a failure");
        proxy.Failed.ShouldBe((proxy.Transfers + 2) / 3); // requests 0, 3, 6… failed, each retried
        var epochs = await s.Scientist.GetFromJsonAsync<List<RunMetricDto>>($"/api/runs/{runId}/metrics", Json.Options);
        epochs!.Select(m => m.Epoch).ShouldBe([1, 2, 3, 4, 5, 6]);
    }

    [Fact]
    public async Task ARefusedTransferIsNotRetried()
    {
        var retries = 0;
        var pipeline = TransferRetry.Create(firstDelay: TimeSpan.FromMilliseconds(1), onRetry: (_, _) => retries++);
        var tries = 0;

        await Should.ThrowAsync<HttpRequestException>(async () => await pipeline.ExecuteAsync(_ =>
        {
            tries++;
            throw new HttpRequestException("403 Forbidden", null, HttpStatusCode.Forbidden);
        }, CancellationToken.None));
        await Should.ThrowAsync<HttpRequestException>(async () => await pipeline.ExecuteAsync(_ =>
        {
            tries++;
            throw new HttpRequestException("502 Bad Gateway", null, HttpStatusCode.BadGateway);
        }, CancellationToken.None));

        (tries, retries).ShouldBe((1 + 7, 6)); // the refusal once; the proxy error the first try and six retries
    }

    /// <summary>
    /// Between the worker and the server, for file transfers only (the hub has its own reconnects): every third request
    /// fails — in turn a proxy's 502 page, a connection dropped before the server saw it, and one dropped after the server
    /// had stored the upload (the answer lost).
    /// </summary>
    private sealed class FailingProxy(HttpMessageHandler server) : DelegatingHandler(server)
    {
        private int _transfers;
        private int _failed;

        public int Transfers => Volatile.Read(ref _transfers);
        public int Failed => Volatile.Read(ref _failed);

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct)
        {
            if (request.RequestUri?.AbsolutePath.StartsWith("/api/worker/runs/", StringComparison.Ordinal) != true)
            {
                return await base.SendAsync(request, ct);
            }
            var n = Interlocked.Increment(ref _transfers) - 1;
            if (n % 3 != 0)
            {
                return await base.SendAsync(request, ct);
            }
            Interlocked.Increment(ref _failed);
            switch (n / 3 % 3)
            {
                case 0:
                    return new HttpResponseMessage(HttpStatusCode.BadGateway) { Content = new StringContent("<html>502 Bad Gateway</html>", System.Text.Encoding.UTF8, "text/html") };
                case 1:
                    throw new HttpRequestException("Connection reset by peer", new IOException("reset"));
                default:
                    using (await base.SendAsync(request, ct))
                    {
                        throw new HttpRequestException("The response ended prematurely.", new IOException("ended"));
                    }
            }
        }
    }

    [Fact]
    public async Task AWorkerThatLosesItsConnectionAndComesBackKeepsItsRunWithinTheLease()
    {
        var (s, version) = await ExperimentTests.ColoursAsync(factory);
        var token = await WorkerTokenAsync("flaky");
        var experiment = await CreateAsync(s, new CreateExperimentRequest("flaky", version.Id, "small-cnn", null, 1, 2, 12, null, 8));
        var runId = experiment.Runs.Single().Id;
        var before = Host(token, "flaky-worker");
        await before.ConnectAsync(CancellationToken.None);
        var claimed = await before.ClaimAsync(CancellationToken.None);
        claimed!.RunId.ShouldBe(runId);

        await before.DisposeAsync(); // the connection drops
        await using var after = Host(token, "flaky-worker"); // the same worker connects again
        await after.ConnectAsync(CancellationToken.None);
        var beat = await after.HeartbeatAsync(claimed, CancellationToken.None);
        var online = (await s.Scientist.GetFromJsonAsync<List<WorkerDto>>("/api/workers", Json.Options))!.Single(w => w.WorkerId == "flaky-worker");

        beat.Continue.ShouldBeTrue();
        (online.Online, online.CurrentRunId).ShouldBe((true, runId));
        (await s.Scientist.PostAsync($"/api/experiments/{experiment.Id}/cancel", null)).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        (await after.HeartbeatAsync(claimed, CancellationToken.None)).Continue.ShouldBeFalse(); // and hears of the cancel at its next beat
    }

    [Fact]
    public async Task AnOldConnectionClosingLateDoesNotTakeAReconnectedWorkerOffline()
    {
        // A dropped connection can be noticed only after the worker is back on a new one (keep-alive timeout, another node).
        var control = factory.Services.GetRequiredService<TransferHub.Web.Features.Workers.WorkerControl>();
        var hello = new WorkerHello("came-back", WorkerHubContract.ProtocolVersion, "cpu", "test cpu", 1L << 30, 2);
        async Task<bool> OnlineAsync() => (await factory.AdminClient().GetFromJsonAsync<List<WorkerDto>>("/api/workers", Json.Options))!
            .Single(w => w.WorkerId == "came-back").Online;
        await control.RegisterAsync(hello, "remote", "old-connection", "worker:test", CancellationToken.None);
        await control.RegisterAsync(hello, "remote", "new-connection", "worker:test", CancellationToken.None);

        await control.DisconnectedAsync("came-back", "old-connection", CancellationToken.None);
        (await OnlineAsync()).ShouldBeTrue("the close of a connection it no longer uses");

        await control.DisconnectedAsync("came-back", "new-connection", CancellationToken.None);
        (await OnlineAsync()).ShouldBeFalse("its current connection closed");
    }

    [Fact]
    public async Task AWorkerOfAnotherProtocolVersionIsRefusedWithAReason()
    {
        await using var host = Host(await WorkerTokenAsync("old"), "old", protocol: 0);

        var refused = await Should.ThrowAsync<HubException>(() => host.ConnectAsync(CancellationToken.None));

        refused.Message.ShouldContain("speaks worker protocol");
    }

    [Fact]
    public async Task TheEmbeddedWorkersSecretActsAsAWorkerAndNothingElse()
    {
        var secret = factory.Services.GetRequiredService<EmbeddedWorkerSecret>().Value;
        using var embedded = factory.CreateClient();
        embedded.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", secret);
        using var guess = factory.CreateClient();
        guess.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", secret[..^1] + (secret[^1] == 'a' ? 'b' : 'a'));

        (await embedded.GetFromJsonAsync<System.Text.Json.JsonElement>("/api/worker/me")).GetProperty("name").GetString().ShouldBe("embedded worker");
        (await embedded.GetAsync("/api/projects")).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await guess.GetAsync("/api/worker/me")).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        await using var host = Host(secret, "embedded@test");
        await host.ConnectAsync(CancellationToken.None);
        var workers = await factory.AdminClient().GetFromJsonAsync<List<WorkerDto>>("/api/workers", Json.Options);
        workers!.Single(w => w.WorkerId == "embedded@test").Kind.ShouldBe("embedded");
    }

    [Fact]
    public async Task AWorkerIdBelongsToTheTokenThatRegisteredItWhileThatTokenIsValid()
    {
        var admin = factory.AdminClient();
        var first = (await (await admin.PostAsJsonAsync("/api/admin/worker-tokens", new CreateTokenRequest("owner", 0))).Content.ReadFromJsonAsync<CreatedTokenDto>(Json.Options))!;
        var other = await WorkerTokenAsync("other");
        await using (var owner = Host(first.Token, "bound-1")) await owner.ConnectAsync(CancellationToken.None);

        await using (var impostor = Host(other, "bound-1"))
        {
            var refused = await Should.ThrowAsync<HubException>(() => impostor.ConnectAsync(CancellationToken.None));
            refused.Message.ShouldContain("belongs to another worker token");
        }
        using var files = factory.CreateClient();
        files.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", other);
        files.DefaultRequestHeaders.Add(RemoteWorkerHost.WorkerHeader, "bound-1");
        (await files.GetAsync($"/api/worker/runs/{Guid.NewGuid()}/checkpoint")).StatusCode.ShouldBe(HttpStatusCode.Forbidden);

        foreach (var reserved in new[] { "in-process@vm", "embedded@vm", "Embedded@other" })
        {
            await using var poser = Host(other, reserved);
            (await Should.ThrowAsync<HubException>(() => poser.ConnectAsync(CancellationToken.None))).Message.ShouldContain("belong to the server's own worker");
        }

        // Once the owner's token is revoked, the name is free for another.
        (await admin.DeleteAsync($"/api/admin/worker-tokens/{first.Info.Id}")).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        await using var successor = Host(other, "bound-1");
        await successor.ConnectAsync(CancellationToken.None);
        (await files.GetAsync($"/api/worker/runs/{Guid.NewGuid()}/checkpoint")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
    }

    [Fact]
    public void TheWorkerHubTakesResultsFarAboveSignalRsDefaultMessageSize()
    {
        // A finished run carries every test item's prediction; at 32 KB remote workers lost runs at their very end.
        var options = factory.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<HubOptions<TransferHub.Web.Features.Workers.WorkerHub>>>().Value;
        options.MaximumReceiveMessageSize.ShouldBe(64L * 1024 * 1024);
    }

    [Fact]
    public async Task APersonalTokenCannotConnectAsAWorker()
    {
        await using var host = Host(TransferHubFactory.AdminToken, "impostor");

        var refused = await Should.ThrowAsync<HttpRequestException>(() => host.ConnectAsync(CancellationToken.None));

        refused.StatusCode.ShouldBe(HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task FileRoutesServeOnlyTheWorkerHoldingTheRun()
    {
        var (s, version) = await ExperimentTests.ColoursAsync(factory);
        var experiment = await CreateAsync(s, new CreateExperimentRequest("files", version.Id, "small-cnn", null, 1, 1, 12, null, 8));
        var runId = experiment.Runs.Single().Id;
        var (holderToken, otherToken) = (await WorkerTokenAsync("holder"), await WorkerTokenAsync("other"));
        await using var holderHost = Host(holderToken, "holder");
        await holderHost.ConnectAsync(CancellationToken.None);
        await using var otherHost = Host(otherToken, "other");
        await otherHost.ConnectAsync(CancellationToken.None);
        var holder = factory.ClientWithToken(holderToken);
        holder.DefaultRequestHeaders.Add(RemoteWorkerHost.WorkerHeader, "holder");
        var other = factory.ClientWithToken(otherToken);
        other.DefaultRequestHeaders.Add(RemoteWorkerHost.WorkerHeader, "other");
        var claimed = await factory.Services.GetRequiredService<JobQueue>().ClaimAsync("holder", CancellationToken.None);
        claimed!.RunId.ShouldBe(runId);

        var own = await holder.GetAsync($"/api/worker/runs/{runId}/dataset");
        var notHeld = await other.GetAsync($"/api/worker/runs/{runId}/dataset");
        var overwrite = await other.PutAsync($"/api/worker/runs/{runId}/model", new ByteArrayContent([1, 2, 3]));
        var person = await s.Scientist.GetAsync($"/api/worker/runs/{runId}/dataset");
        var noCheckpoint = await holder.GetAsync($"/api/worker/runs/{runId}/checkpoint");
        var noSource = await holder.GetAsync($"/api/worker/runs/{runId}/source");

        own.StatusCode.ShouldBe(HttpStatusCode.OK);
        own.Content.Headers.ContentType!.MediaType.ShouldBe("application/zip");
        using (var zip = new System.IO.Compression.ZipArchive(await own.Content.ReadAsStreamAsync()))
        {
            zip.Entries.Select(e => e.FullName.Split('/')[0]).Distinct().Order().ShouldBe(["test", "train", "validation"]);
        }
        notHeld.StatusCode.ShouldBe(HttpStatusCode.Conflict);
        overwrite.StatusCode.ShouldBe(HttpStatusCode.Conflict);
        person.StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        noCheckpoint.StatusCode.ShouldBe(HttpStatusCode.NotFound);
        noSource.StatusCode.ShouldBe(HttpStatusCode.NotFound);
    }

    /// <summary>Stops an idle worker loop: it ends at its next check, or with a cancellation while it waits.</summary>
    private static async Task StopAsync(CancellationTokenSource stop, Task loop)
    {
        await stop.CancelAsync();
        try
        {
            await loop;
        }
        catch (OperationCanceledException)
        {
            // Cancelled while waiting for work.
        }
    }

    private static async Task<ExperimentDto> CreateAsync(DatasetScenario s, CreateExperimentRequest request)
    {
        var response = await s.Scientist.PostAsJsonAsync($"/api/projects/{s.ProjectId}/experiments", request);
        response.StatusCode.ShouldBe(HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<ExperimentDto>(Json.Options))!;
    }

    private async Task<ExperimentDto> WaitFinishedAsync(DatasetScenario s, Guid experimentId) =>
        (await WaitForAsync(experimentId, async () =>
        {
            var now = await s.Scientist.GetFromJsonAsync<ExperimentDto>($"/api/experiments/{experimentId}", Json.Options);
            return now!.Runs.All(r => r.Status is RunStatus.Succeeded or RunStatus.Failed or RunStatus.Cancelled) ? now : null;
        }))!;

    /// <summary>Re-checks on every change of the experiment (a backstop re-check each second), up to three minutes.</summary>
    private async Task<T> WaitForAsync<T>(Guid experimentId, Func<Task<T?>> probe) where T : class
    {
        var deadline = DateTime.UtcNow.AddMinutes(3);
        using var changed = new SemaphoreSlim(0);
        using var subscription = factory.Services.GetRequiredService<ExperimentEvents>().Subscribe(experimentId, () =>
        {
            changed.Release();
            return Task.CompletedTask;
        });
        while (DateTime.UtcNow < deadline)
        {
            if (await probe() is { } found)
            {
                return found;
            }
            await changed.WaitAsync(TimeSpan.FromSeconds(1));
        }
        throw new TimeoutException("The condition was not met within three minutes.");
    }
}
