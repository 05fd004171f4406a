using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using TransferHub.Tests.Support;

namespace TransferHub.Tests.E2E;

/// <summary>
/// Two web nodes, each with its own data folder, on one PostgreSQL server and one Azurite blob container, joined by Redis (SignalR backplane, experiment and
/// dataset events, notifications): a worker reports to node A, the experiment page open on node B follows it live; a
/// label submitted and a notification posted on node A show on node B; node A killed loses no acknowledged label or epoch.
/// </summary>
public sealed class TwoNodeE2ETests : IAsyncLifetime
{
    private RedisProcess _redis = null!;
    private AzuriteProcess _azurite = null!;
    private PostgresServer _postgres = null!;
    private AppProcess _nodeA = null!;
    private AppProcess _nodeB = null!;
    private readonly BrowserContexts _contexts = new();

    public async Task InitializeAsync()
    {
        _redis = await RedisProcess.StartAsync();
        _azurite = await AzuriteProcess.StartAsync(AppProcess.RepoRoot);
        _postgres = await PostgresServer.StartAsync();
        var settings = new Dictionary<string, string>
        {
            ["Bootstrap:AdminEmail"] = BrowserFixture.AdminEmail,
            ["Bootstrap:AdminPassword"] = BrowserFixture.AdminPassword,
            ["Bootstrap:AdminToken"] = BrowserFixture.AdminToken,
            ["Workers:InProcess"] = "false",
            ["Redis:ConnectionString"] = _redis.ConnectionString,
            ["Jobs:Lease"] = "00:00:06",
            ["Artifacts:Provider"] = "AzureBlob",
            ["Artifacts:BlobConnectionString"] = _azurite.ConnectionString,
            ["Database:Provider"] = "PostgreSql",
            ["ConnectionStrings:TransferHub"] = await _postgres.CreateDatabaseAsync(),
        };
        _nodeA = await AppProcess.StartAsync(settings);
        _nodeB = await AppProcess.StartAsync(settings); // the same database and artifacts, nothing shared on disk
        await BrowserContexts.BrowserAsync();
    }

    [Fact]
    public async Task APageOnNodeBFollowsLiveARunWhoseWorkerReportsToNodeA()
    {
        var (projectId, versionId) = await E2EData.ArrangeVersionAsync(_nodeA.BaseUrl, images: 60);
        using var http = E2EData.AdminClient(_nodeA.BaseUrl);
        var token = await E2EData.WorkerTokenAsync(http, "node-a-worker");
        var created = await http.PostAsJsonAsync($"/api/projects/{projectId}/experiments",
            new { name = "two nodes", datasetVersionId = versionId, architecture = "small-cnn", seeds = 1, epochs = 30, imageSize = 12, batchSize = 4, patience = 0 });
        created.EnsureSuccessStatusCode();
        var experimentId = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString();

        // The page is open on node B before the worker (connected to node A) starts.
        var page = await PageOnAsync(_nodeB.BaseUrl);
        await page.SignInAsync(BrowserFixture.AdminEmail, BrowserFixture.AdminPassword);
        await page.GotoInteractiveAsync($"/experiments/{experimentId}");
        await Assertions.Expect(page.Locator("#experiment-status")).ToHaveTextAsync("running");
        await using var worker = WorkerProcess.Start(_nodeA.BaseUrl, token, "node-a-worker");

        await Assertions.Expect(page.Locator("#live-steps polyline")).ToHaveCountAsync(1, new() { Timeout = 90_000 });
        await Assertions.Expect(page.Locator("#experiment-status")).ToHaveTextAsync("finished", new() { Timeout = 180_000 });
        await Assertions.Expect(page.Locator("#runs-table tbody tr").First).ToContainTextAsync("Succeeded");
        await page.ScreenshotAsync("60-node-b-follows-node-a");
        worker.Log.ShouldContain($"connected to {_nodeA.BaseUrl}");
    }

    [Fact]
    public async Task ADatasetPageOnNodeBCountsALabelAndShowsALabelerOfNodeA()
    {
        using var viaA = E2EData.AdminClient(_nodeA.BaseUrl);
        var project = await (await viaA.PostAsJsonAsync("/api/projects", new { name = $"Nodes {Guid.NewGuid():N}"[..14] })).Content.ReadFromJsonAsync<JsonElement>();
        var dataset = await (await viaA.PostAsJsonAsync($"/api/projects/{project.GetProperty("id").GetString()}/datasets", new
        {
            name = "reviews", kind = "Text", task = "SingleLabel", labels = new[] { new { name = "pos" }, new { name = "neg" } },
        })).Content.ReadFromJsonAsync<JsonElement>();
        var datasetId = dataset.GetProperty("id").GetString();
        using (var form = new MultipartFormDataContent { { new ByteArrayContent("great film\nawful plot\nfine acting\n"u8.ToArray()), "files", "reviews.txt" } })
        {
            var import = await (await viaA.PostAsync($"/api/datasets/{datasetId}/imports", form)).Content.ReadFromJsonAsync<JsonElement>();
            await E2EData.WaitForImportAsync(viaA, import.GetProperty("id").GetString()!);
        }
        var page = await PageOnAsync(_nodeB.BaseUrl);
        await page.SignInAsync(BrowserFixture.AdminEmail, BrowserFixture.AdminPassword);
        await page.GotoInteractiveAsync($"/datasets/{datasetId}");
        await Assertions.Expect(page.Locator("#progress-text")).ToContainTextAsync("0 of 3 items labeled");

        var item = (await viaA.GetFromJsonAsync<JsonElement>($"/api/datasets/{datasetId}/items?pageSize=10")).GetProperty("items")[0].GetProperty("id").GetString();
        (await viaA.PutAsJsonAsync($"/api/items/{item}/annotation", new { labels = new[] { "pos" } })).EnsureSuccessStatusCode();

        await Assertions.Expect(page.Locator("#progress-text")).ToContainTextAsync("1 of 3 items labeled");

        // Someone opens the labeling page on node A: node B's page shows them, and stops when they close it.
        var labeler = await PageOnAsync(_nodeA.BaseUrl);
        await labeler.SignInAsync(BrowserFixture.AdminEmail, BrowserFixture.AdminPassword);
        await labeler.GotoInteractiveAsync($"/datasets/{datasetId}/label");
        await Assertions.Expect(page.Locator("#presence .presence-avatar")).ToHaveCountAsync(1);
        await page.ScreenshotAsync("61-node-b-sees-node-a-labeler");
        // Leaving the labeling page within the app ends its session at once (a closed tab ends it when its circuit goes).
        await labeler.GetByRole(AriaRole.Link, new() { Name = "Home", Exact = true }).ClickAsync();
        await Assertions.Expect(page.Locator("#presence")).ToContainTextAsync("Nobody is labeling right now.", new() { Timeout = 15_000 });
        await labeler.Context.CloseAsync();
    }

    [Fact]
    public async Task ANotificationPostedOnNodeAReachesTheBellOnNodeB()
    {
        var email = $"bell-{Guid.NewGuid():N}"[..13] + "@e2e.test";
        await Pages.CreateUserAsync(_nodeA.BaseUrl, email, "Bell-pass-123", "Labeler");
        var page = await PageOnAsync(_nodeB.BaseUrl);
        await page.SignInAsync(email, "Bell-pass-123");
        await page.WaitInteractiveAsync();
        await Assertions.Expect(page.Locator("#notification-badge .mud-badge-visible")).ToHaveCountAsync(0);

        using var viaA = E2EData.AdminClient(_nodeA.BaseUrl);
        var project = await (await viaA.PostAsJsonAsync("/api/projects", new { name = $"Bell {Guid.NewGuid():N}"[..13] })).Content.ReadFromJsonAsync<JsonElement>();
        (await viaA.PostAsJsonAsync($"/api/projects/{project.GetProperty("id").GetString()}/members", new { email, role = "Labeler" })).EnsureSuccessStatusCode();

        await Assertions.Expect(page.Locator("#notification-badge .mud-badge")).ToHaveTextAsync("1"); // live, no reload
    }

    [Fact]
    public async Task KillingNodeAMidRunLosesNoAcknowledgedLabelOrEpochAndTheWorkerOnNodeBFinishesTheRun()
    {
        var (projectId, versionId) = await E2EData.ArrangeVersionAsync(_nodeA.BaseUrl, images: 60);
        using var viaB = E2EData.AdminClient(_nodeB.BaseUrl);
        var token = await E2EData.WorkerTokenAsync(viaB, "workers");
        await using var onA = WorkerProcess.Start(_nodeA.BaseUrl, token, "worker-on-a");
        var created = await viaB.PostAsJsonAsync($"/api/projects/{projectId}/experiments",
            new { name = "node loss", datasetVersionId = versionId, architecture = "small-cnn", seeds = 1, epochs = 40, imageSize = 12, batchSize = 4, patience = 0 });
        created.EnsureSuccessStatusCode();
        var experiment = await created.Content.ReadFromJsonAsync<JsonElement>();
        var experimentId = experiment.GetProperty("id").GetString();
        var runId = experiment.GetProperty("runs")[0].GetProperty("id").GetString();

        using var viaA = E2EData.AdminClient(_nodeA.BaseUrl);
        var datasetId = (await viaA.GetFromJsonAsync<JsonElement>($"/api/projects/{projectId}/datasets"))[0].GetProperty("id").GetString();
        var item = (await viaA.GetFromJsonAsync<JsonElement>($"/api/datasets/{datasetId}/items?page=1")).GetProperty("items")[0];
        var relabel = item.GetProperty("finalLabels")[0].GetString() == "red" ? "blue" : "red";
        var itemId = item.GetProperty("id").GetString();
        (await viaA.PutAsJsonAsync($"/api/items/{itemId}/annotation", new { labels = new[] { relabel } })).EnsureSuccessStatusCode(); // acknowledged by A

        var before = await E2EData.EpochsAsync(viaB, runId!, atLeast: 3);
        await _nodeA.KillAsync(); // node A dies; its worker can no longer reach it
        var history = await viaB.GetFromJsonAsync<JsonElement>($"/api/items/{itemId}/history");
        history.EnumerateArray().ShouldContain(c => c.GetProperty("to").EnumerateArray().Single().GetString() == relabel, $"the label node A acknowledged: {history}");
        await using var onB = WorkerProcess.Start(_nodeB.BaseUrl, token, "worker-on-b");
        JsonElement run;
        for (var i = 0; ; i++)
        {
            run = (await viaB.GetFromJsonAsync<JsonElement>($"/api/experiments/{experimentId}")).GetProperty("runs")[0];
            if (run.GetProperty("status").GetString() is "Succeeded" or "Failed" || i > 1800)
            {
                break;
            }
            await Task.Delay(100); // bounded poll of node B's API
        }
        var after = await E2EData.EpochsAsync(viaB, runId!, atLeast: 0);

        run.GetProperty("status").GetString().ShouldBe("Succeeded", $"{run}\n--- worker on B\n{onB.Log}");
        after.ShouldBe(Enumerable.Range(1, 40).ToList());
        before.ShouldBeSubsetOf(after); // every epoch stored through node A is still there
        onB.Log.ShouldContain("worker-on-b on cpu");
        var localArtifacts = Path.Combine(_nodeA.DataRoot, "artifacts");
        (Directory.Exists(localArtifacts) ? Directory.EnumerateFiles(localArtifacts, "*", SearchOption.AllDirectories).Count() : 0)
            .ShouldBe(0, "images, versions, checkpoints and models all went to the Azurite container");
    }

    [Fact]
    public async Task AWorkerBehindALoadBalancerWithoutAffinityRegistersAndTrains()
    {
        // As through a Kubernetes Service: every new connection may reach another web node.
        await using var service = new RoundRobinProxy(_nodeA.BaseUrl, _nodeB.BaseUrl);
        var (projectId, versionId) = await E2EData.ArrangeVersionAsync(_nodeA.BaseUrl, images: 30);
        using var viaA = E2EData.AdminClient(_nodeA.BaseUrl);
        var token = await E2EData.WorkerTokenAsync(viaA, "behind-lb");
        await using var worker = WorkerProcess.Start(service.BaseUrl, token, "behind-lb");
        await E2EData.WaitForWorkerAsync(viaA, "behind-lb");
        // Negotiation would be a request of its own, then the WebSocket another that the next node does not know.
        service.Connections.Sum().ShouldBe(1, "the worker hub is one WebSocket, opened without a negotiation round trip");
        var created = await viaA.PostAsJsonAsync($"/api/projects/{projectId}/experiments",
            new { name = "lb", datasetVersionId = versionId, architecture = "small-cnn", seeds = 1, epochs = 3, imageSize = 12, batchSize = 4 });
        created.EnsureSuccessStatusCode();

        var runs = await E2EData.WaitForRunsAsync(viaA, (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!, TimeSpan.FromMinutes(2));

        runs.Single().GetProperty("status").GetString().ShouldBe("Succeeded", $"{runs.Single()}\n--- worker\n{worker.Log}");
        service.Connections.ShouldAllBe(n => n > 0, "both nodes served the worker");
    }

    public async Task DisposeAsync()
    {
        await _contexts.DisposeAsync();
        await _nodeB.DisposeAsync();
        await _nodeA.DisposeAsync();
        await _redis.DisposeAsync();
        await _azurite.DisposeAsync();
        await _postgres.DisposeAsync();
    }

    /// <summary>A signed-out page in a fresh browser context on one node.</summary>
    private Task<IPage> PageOnAsync(string baseUrl) => _contexts.NewPageAsync(baseUrl);
}

/// <summary>Redis away at start and back later: the node runs, says so on /health, and recovers on its own.</summary>
public sealed class RedisOutageE2ETests
{
    [Fact]
    public async Task ANodeStartsWithoutRedisReportsItDegradedAndRecoversWhenRedisComesBack()
    {
        var port = AppProcess.FreePort(); // nothing listens there yet
        await using var node = await AppProcess.StartAsync(new Dictionary<string, string> { ["Redis:ConnectionString"] = $"127.0.0.1:{port},connectRetry=1" });
        using var http = new HttpClient { BaseAddress = new Uri(node.BaseUrl) };

        var down = await http.GetFromJsonAsync<JsonElement>("/health");
        await using var redis = await RedisProcess.StartAsync(port);
        var up = down;
        for (var i = 0; i < 300 && RedisStatus(up) != "Healthy"; i++)
        {
            await Task.Delay(100); // bounded poll: the multiplexer reconnects on its own schedule
            up = await http.GetFromJsonAsync<JsonElement>("/health");
        }

        RedisStatus(down).ShouldBe("Degraded");
        down.GetProperty("status").GetString().ShouldBe("Degraded");
        RedisStatus(up).ShouldBe("Healthy");
    }

    private static string? RedisStatus(JsonElement health) =>
        health.GetProperty("checks").GetProperty("redis").GetProperty("status").GetString();
}
