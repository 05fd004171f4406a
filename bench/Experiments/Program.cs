// Experiments benchmark: starts the real app on loopback (no in-process worker) and plays a remote worker over the
// worker hub, then measures (1) latency from an epoch reported by the worker to external watchers on the experiments
// hub and to the experiment page in Chromium (p50/p95), with 1 and with 100 watchers, (2) the epoch reports and
// per-step points per second the hub stores and fans out back to back, (3) tiny jobs per minute drained by 1, 2 and
// 4 real worker processes, and (4) the platform's overhead on a real training run (in-process worker: layout,
// checkpoint upload every epoch, metrics) against the bare engine CLI on the same data and spec.
using System.Diagnostics;
using System.IO.Compression;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Playwright;
using TransferHub.Bench.Labeling;
using TransferHub.Shared.Experiments;
using TransferHub.Shared.Training;
using static TransferHub.Bench.Labeling.BenchApp;

var reports = Arg("--reports", 200);
var watchers = Arg("--watchers", 100);
var burstSeconds = Arg("--burst-seconds", 10);
var overheadEpochs = Arg("--epochs", 5);
var scalingRuns = Arg("--scaling-runs", 16);
var pollMs = Arg("--poll-ms", 200);
var device = args.SkipWhile(a => a != "--device").Skip(1).FirstOrDefault() ?? "cpu"; // overhead: the worker's and the CLI's device
var only = args.SkipWhile(a => a != "--only").Skip(1).FirstOrDefault(); // latency | backplane | scaling | overhead
const string Token = "thp_bench-bootstrap-token-0123456789abcdef";

if (only is null or "latency")
{

await using (var app = await BenchApp.StartAsync(Token, new Dictionary<string, string> { ["Workers:InProcess"] = "false", ["Jobs:MaxConcurrentPerProject"] = "10" }))
{
    using var api = Client(app.BaseUrl);
    var (projectId, versionId) = await TextVersionAsync(api);
    var workerToken = (await PostAsync(api, "/api/admin/worker-tokens", new { name = "bench", days = 0 })).GetProperty("token").GetString()!;
    var experiment = await PostAsync(api, $"/api/projects/{projectId}/experiments",
        new { name = "stream", datasetVersionId = versionId, architecture = "text-bag", seeds = 1, epochs = 1 });
    var experimentId = Guid.Parse(experiment.GetProperty("id").GetString()!);
    await using var worker = Hub(app.BaseUrl + WorkerHubContract.Route, workerToken);
    await worker.StartAsync();
    await worker.InvokeAsync<WorkerWelcome>(WorkerHubContract.Register, new WorkerHello("bench-worker", WorkerHubContract.ProtocolVersion, "cpu", null, null, 2));
    var run = await worker.InvokeAsync<ClaimedRun?>(WorkerHubContract.Claim) ?? throw new InvalidOperationException("Nothing to claim.");

    var epoch = 0;
    foreach (var count in new[] { 1, watchers })
    {
        var clients = new List<Watcher>();
        for (var i = 0; i < count; i++)
        {
            clients.Add(await Watcher.StartAsync(app.BaseUrl, Token, experimentId));
        }
        var page = count == 1 ? await BrowserPage.OpenAsync(app.BaseUrl, experimentId) : null;
        var sent = new Dictionary<int, double>();
        var browserLatencies = new List<double>();
        for (var i = 0; i < reports; i++)
        {
            epoch++;
            var waitForPage = page?.WaitForEpochAsync(epoch);
            sent[epoch] = Now();
            await worker.InvokeAsync<bool>(WorkerHubContract.ReportEpoch, new EpochReport(run.RunId, Metrics(epoch)));
            if (waitForPage is not null)
            {
                browserLatencies.Add(await waitForPage - sent[epoch]);
            }
            await Task.Delay(50); // a steady trickle, as a training run would send
        }
        await Task.WhenAll(clients.Select(c => c.WaitForAsync(epoch)));
        var hubLatencies = clients.SelectMany(c => c.Received.Where(r => sent.ContainsKey(r.Key)).Select(r => r.Value - sent[r.Key])).Order().ToList();
        Console.WriteLine($"latency, {count} watcher(s), {reports} epochs: worker → hub watcher p50={Percentile(hubLatencies, 0.5):0.0} ms p95={Percentile(hubLatencies, 0.95):0.0} ms (n={hubLatencies.Count})");
        if (page is not null)
        {
            browserLatencies.Sort();
            Console.WriteLine($"latency, {count} watcher(s): worker → experiment page in Chromium p50={Percentile(browserLatencies, 0.5):0.0} ms p95={Percentile(browserLatencies, 0.95):0.0} ms (n={browserLatencies.Count})");
            await page.DisposeAsync();
        }
        foreach (var c in clients)
        {
            await c.DisposeAsync();
        }
    }

    // Back to back, 4 workers at once (each on its own run): what the hub stores and fans out per second.
    var burst = new List<(HubConnection Hub, Guid RunId)>();
    for (var w = 0; w < 4; w++)
    {
        var more = await PostAsync(api, $"/api/projects/{projectId}/experiments", new { name = $"burst {w}", datasetVersionId = versionId, architecture = "text-bag", seeds = 1, epochs = 1 });
        var hub = Hub(app.BaseUrl + WorkerHubContract.Route, workerToken);
        await hub.StartAsync();
        await hub.InvokeAsync<WorkerWelcome>(WorkerHubContract.Register, new WorkerHello($"burst-{w}", WorkerHubContract.ProtocolVersion, "cpu", null, null, 2));
        var claimed = await hub.InvokeAsync<ClaimedRun?>(WorkerHubContract.Claim);
        burst.Add((hub, claimed?.RunId ?? throw new InvalidOperationException("Nothing to claim (per-project limit?).")));
    }
    var watch = Stopwatch.StartNew();
    var done = await Task.WhenAll(burst.Select(async b =>
    {
        var n = 0;
        while (watch.Elapsed.TotalSeconds < burstSeconds)
        {
            await b.Hub.InvokeAsync<bool>(WorkerHubContract.ReportEpoch, new EpochReport(b.RunId, Metrics(++n)));
        }
        return n;
    }));
    var perSecond = done.Sum() / watch.Elapsed.TotalSeconds;
    var values = 10 + Metrics(1).Validation.PerClass.Count * 3;
    Console.WriteLine($"throughput: {done.Sum()} epoch reports in {watch.Elapsed.TotalSeconds:0.0} s from 4 workers = {perSecond:0} reports/s (each stored, checked for warnings and fanned out; {values} values each = {perSecond * values:0} values/s)");

    // Per-step losses as workers send them: batches (here 500 steps, ~250 ms of a fast CPU run) from the same 4 workers.
    var stepWatch = Stopwatch.StartNew();
    var stepsSent = await Task.WhenAll(burst.Select(async b =>
    {
        long step = 1_000_000, points = 0;
        while (stepWatch.Elapsed.TotalSeconds < burstSeconds)
        {
            var batch = Enumerable.Range(0, 500).Select(i => new StepLoss(1, ++step, 1.0 / (1 + i))).ToList();
            await b.Hub.InvokeAsync<bool>(WorkerHubContract.ReportSteps, new StepBatch(b.RunId, batch));
            points += batch.Count;
        }
        return points;
    }));
    Console.WriteLine($"throughput: {stepsSent.Sum():N0} per-step points in {stepWatch.Elapsed.TotalSeconds:0.0} s from 4 workers in batches of 500 = {stepsSent.Sum() / stepWatch.Elapsed.TotalSeconds:N0} points/s (each batch stored and fanned out)");
    foreach (var b in burst)
    {
        await b.Hub.DisposeAsync();
    }
}
}

// Backplane: worker → watcher latency with two web nodes on one database joined by Redis — the watchers on the worker's
// node ("one node", Redis still in the path) or on the other ("across nodes") — against a single node without Redis,
// measured in the same run.
if (only is null or "backplane")
{
    await using var redis = await TransferHub.Tests.E2E.RedisProcess.StartAsync();
    var shared = new Dictionary<string, string>
    {
        ["Workers:InProcess"] = "false", ["Redis:ConnectionString"] = redis.ConnectionString,
        ["Data:Root"] = Path.Combine(Path.GetTempPath(), "transferhub-bench", Guid.NewGuid().ToString("N")),
    };
    await using var solo = await BenchApp.StartAsync(Token, new Dictionary<string, string> { ["Workers:InProcess"] = "false" });
    await using var nodeA = await BenchApp.StartAsync(Token, shared);
    await using var nodeB = await BenchApp.StartAsync(Token, shared);
    for (var round = 0; round < 2; round++)
    {
        await BackplaneLatencyAsync("single node, no Redis", solo.BaseUrl, solo.BaseUrl);
        await BackplaneLatencyAsync("two nodes, watchers on the worker's node", nodeA.BaseUrl, nodeA.BaseUrl);
        await BackplaneLatencyAsync("two nodes, watchers on the other node", nodeA.BaseUrl, nodeB.BaseUrl);
    }
}

// Scaling: the same tiny jobs (text-bag, 3 epochs) drained by 1, 2 and 4 remote worker processes.
if (only is null or "scaling")
{
foreach (var workers in new[] { 1, 2, 4 })
{
    await using var app = await BenchApp.StartAsync(Token, new Dictionary<string, string> { ["Workers:InProcess"] = "false", ["Jobs:MaxConcurrentPerProject"] = "10" });
    using var api = Client(app.BaseUrl);
    var (projectId, versionId) = await TextVersionAsync(api);
    var workerToken = (await PostAsync(api, "/api/admin/worker-tokens", new { name = "scaling", days = 0 })).GetProperty("token").GetString()!;
    var processes = Enumerable.Range(0, workers).Select(w => TransferHub.Tests.E2E.WorkerProcess.Start(app.BaseUrl, workerToken, $"scale-{w}")).ToList();
    // The clock starts once every worker has loaded libtorch and registered.
    while ((await api.GetFromJsonAsync<JsonElement>("/api/workers")).EnumerateArray().Count(w => w.GetProperty("online").GetBoolean()) < workers)
    {
        await Task.Delay(200);
    }
    var watch = Stopwatch.StartNew();
    var experiment = await PostAsync(api, $"/api/projects/{projectId}/experiments",
        new { name = "scaling", datasetVersionId = versionId, architecture = "text-bag", seeds = scalingRuns / 2, epochs = 3, patience = 0,
            arms = new[] { new { name = "frozen-random", strategy = "FeatureExtraction" } } }); // 2 arms × seeds = the jobs
    var id = experiment.GetProperty("id").GetString();
    while ((await api.GetFromJsonAsync<JsonElement>($"/api/experiments/{id}")).GetProperty("runs").EnumerateArray()
        .Any(r => r.GetProperty("status").GetString() is "Pending" or "Running"))
    {
        await Task.Delay(200);
    }
    Console.WriteLine($"scaling: {workers} worker process(es) finished {scalingRuns} tiny jobs in {watch.Elapsed.TotalSeconds:0.0} s = {scalingRuns / watch.Elapsed.TotalMinutes:0.0} jobs/min");
    foreach (var p in processes)
    {
        await p.DisposeAsync();
    }
}
}

// Overhead: the same training through the platform (in-process worker) and through the bare CLI.
if (only is null or "overhead")
{
var remote = args.Contains("--remote"); // train in a worker process beside the app instead of inside it
var environment = AppEnvironment();
if (remote)
{
    environment["Workers:InProcess"] = "false";
}
await using (var app = await BenchApp.StartAsync(Token, environment))
{
    using var api = Client(app.BaseUrl);
    var (projectId, versionId, folder) = await ImageVersionAsync(api);
    await using var worker = remote
        ? TransferHub.Tests.E2E.WorkerProcess.Start(app.BaseUrl, (await PostAsync(api, "/api/admin/worker-tokens", new { name = "overhead", days = 0 })).GetProperty("token").GetString()!, "overhead", device)
        : null;
    while (remote && !(await api.GetFromJsonAsync<JsonElement>("/api/workers")).EnumerateArray().Any(w => w.GetProperty("online").GetBoolean()))
    {
        await Task.Delay(200);
    }
    await Task.Delay(TimeSpan.FromSeconds(Arg("--settle-seconds", 0))); // let the import's after-work finish first
    // An experiment's worth of runs (seeds), as a user queues them: the platform's per-run costs and its per-worker
    // version cache show, against the same number of CLI processes sharing one decoded-image cache.
    var runs = Arg("--runs", 3);
    var created = await PostAsync(api, $"/api/projects/{projectId}/experiments", new { name = "overhead", datasetVersionId = versionId, architecture = "small-cnn",
        seeds = runs, epochs = overheadEpochs, imageSize = 32, learningRate = 0.001, batchSize = 32, patience = 0 });
    var id = created.GetProperty("id").GetString();
    List<JsonElement> runDtos;
    while (true)
    {
        runDtos = [.. (await api.GetFromJsonAsync<JsonElement>($"/api/experiments/{id}")).GetProperty("runs").EnumerateArray()];
        if (runDtos.All(r => r.GetProperty("status").GetString() is "Succeeded" or "Failed"))
        {
            break;
        }
        await Task.Delay(pollMs); // polling the API is what an external client does
    }
    double platform = 0, platformEpochs = 0, cli = 0, cliEpochs = 0;
    var cliCache = Path.Combine(folder, "cli-cache");
    foreach (var (run, seed) in runDtos.OrderBy(r => r.GetProperty("startedAt").GetDateTimeOffset()).Select((r, i) => (r, i + 1)))
    {
        platform += (run.GetProperty("completedAt").GetDateTimeOffset() - run.GetProperty("startedAt").GetDateTimeOffset()).TotalSeconds;
        // The training passes alone (each epoch's optimizer loop, as the engine times it), on both sides.
        var platformRun = (await api.GetFromJsonAsync<JsonElement>($"/api/runs/{run.GetProperty("id").GetString()}/metrics"))
            .EnumerateArray().Select(e => e.GetProperty("metrics").GetProperty("epochSeconds").GetDouble()).ToList();
        cli += CliSeconds(folder, overheadEpochs, seed, cliCache, device);
        var cliRun = File.ReadLines(Path.Combine(folder, "out", "metrics.jsonl"))
            .Select(l => JsonDocument.Parse(l).RootElement.GetProperty("epochSeconds").GetDouble()).ToList();
        (platformEpochs, cliEpochs) = (platformEpochs + platformRun.Sum(), cliEpochs + cliRun.Sum());
        // Epoch by epoch, to tell a one-time cost (first epoch) from a steady one.
        Console.WriteLine($"overhead: seed {seed} epoch seconds, platform [{string.Join(' ', platformRun.Select(x => x.ToString("0.000")))}] " +
            $"vs CLI [{string.Join(' ', cliRun.Select(x => x.ToString("0.000")))}]");
    }
    Console.WriteLine($"overhead: small-cnn 32 px on {device}, {runs} runs × {overheadEpochs} epochs on the same version: platform {platform:0.00} s (claim → completed, incl. layout, " +
        $"checkpoint uploads, metrics) vs CLI {cli:0.00} s (processes incl. start-up) → {100 * (platform / cli - 1):+0.0;-0.0} %");
    Console.WriteLine($"overhead: training passes only: platform {platformEpochs:0.00} s vs CLI {cliEpochs:0.00} s → {100 * (platformEpochs / cliEpochs - 1):+0.0;-0.0} %; " +
        $"the rest (layout, validation, checkpoints, reports; CLI start-up): platform {platform - platformEpochs:0.00} s vs CLI {cli - cliEpochs:0.00} s");
}
}

static double Now() => (DateTime.UtcNow - DateTime.UnixEpoch).TotalMilliseconds;

// One worker reporting 200 epochs (50 ms apart) to workerUrl; 10 hub watchers on watcherUrl; prints p50/p95.
async Task BackplaneLatencyAsync(string label, string workerUrl, string watcherUrl)
{
    using var api = Client(workerUrl);
    var (projectId, versionId) = await TextVersionAsync(api);
    var workerToken = (await PostAsync(api, "/api/admin/worker-tokens", new { name = "backplane", days = 0 })).GetProperty("token").GetString()!;
    var experimentId = Guid.Parse((await PostAsync(api, $"/api/projects/{projectId}/experiments",
        new { name = "backplane", datasetVersionId = versionId, architecture = "text-bag", seeds = 1, epochs = 1 })).GetProperty("id").GetString()!);
    await using var worker = Hub(workerUrl + WorkerHubContract.Route, workerToken);
    await worker.StartAsync();
    await worker.InvokeAsync<WorkerWelcome>(WorkerHubContract.Register, new WorkerHello("backplane-worker", WorkerHubContract.ProtocolVersion, "cpu", null, null, 2));
    var run = await worker.InvokeAsync<ClaimedRun?>(WorkerHubContract.Claim) ?? throw new InvalidOperationException("Nothing to claim.");
    var clients = new List<Watcher>();
    for (var i = 0; i < 10; i++)
    {
        clients.Add(await Watcher.StartAsync(watcherUrl, Token, experimentId));
    }
    var sent = new Dictionary<int, double>();
    for (var epoch = 1; epoch <= reports; epoch++)
    {
        sent[epoch] = Now();
        await worker.InvokeAsync<bool>(WorkerHubContract.ReportEpoch, new EpochReport(run.RunId, Metrics(epoch)));
        await Task.Delay(50);
    }
    await Task.WhenAll(clients.Select(c => c.WaitForAsync(reports)));
    var latencies = clients.SelectMany(c => c.Received.Where(r => sent.ContainsKey(r.Key)).Select(r => r.Value - sent[r.Key])).Order().ToList();
    Console.WriteLine($"backplane, {label}: worker → 10 hub watchers p50={Percentile(latencies, 0.5):0.0} ms p95={Percentile(latencies, 0.95):0.0} ms (n={latencies.Count})");
    foreach (var c in clients)
    {
        await c.DisposeAsync();
    }
}

static HttpClient Client(string baseUrl)
{
    var http = new HttpClient { BaseAddress = new Uri(baseUrl), Timeout = TimeSpan.FromMinutes(10) };
    http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "thp_bench-bootstrap-token-0123456789abcdef");
    return http;
}

static HubConnection Hub(string url, string token) => new HubConnectionBuilder()
    .WithUrl(url, o => { o.Transports = HttpTransportType.WebSockets; o.AccessTokenProvider = () => Task.FromResult<string?>(token); })
    .Build();

static EpochMetrics Metrics(int epoch)
{
    var perClass = new[] { new ClassMetrics(0, 0.9, 0.9, 0.9, 10), new ClassMetrics(1, 0.8, 0.8, 0.8, 10) };
    var metrics = new ClassificationMetrics(0.5, 0.85, 0.85, 0.05, perClass, [[9, 1], [2, 8]]);
    return new EpochMetrics(epoch, 1.0 / epoch, metrics, 1000, 0.1, 1e-3, 1000, false);
}

static async Task<(string ProjectId, string VersionId)> TextVersionAsync(HttpClient api)
{
    var project = (await PostAsync(api, "/api/projects", new { name = $"bench {Guid.NewGuid():N}"[..20] })).GetProperty("id").GetString()!;
    var dataset = (await PostAsync(api, $"/api/projects/{project}/datasets", new { name = "texts", kind = "Text", task = "SingleLabel" })).GetProperty("id").GetString()!;
    var lines = string.Join('\n', Enumerable.Range(0, 60).Select(i => JsonSerializer.Serialize(new { text = $"sentence {i} {(i % 2 == 0 ? "good" : "bad")}", label = i % 2 == 0 ? "a" : "b" })));
    await ImportAndWaitAsync(api, dataset, "t.jsonl", System.Text.Encoding.UTF8.GetBytes(lines));
    return (project, (await PostAsync(api, $"/api/datasets/{dataset}/versions", new { seed = 1 })).GetProperty("id").GetString()!);
}

static async Task<(string ProjectId, string VersionId, string Folder)> ImageVersionAsync(HttpClient api)
{
    var project = (await PostAsync(api, "/api/projects", new { name = $"bench {Guid.NewGuid():N}"[..20] })).GetProperty("id").GetString()!;
    var dataset = (await PostAsync(api, $"/api/projects/{project}/datasets", new { name = "images", kind = "Image", task = "SingleLabel" })).GetProperty("id").GetString()!;
    using var zip = new MemoryStream();
    using (var archive = new ZipArchive(zip, ZipArchiveMode.Create, leaveOpen: true))
    {
        var random = new Random(1);
        for (var i = 0; i < 2000; i++)
        {
            var c = i % 4;
            using var entry = archive.CreateEntry($"class{c}/{i}.png").Open();
            entry.Write(TransferHub.Tests.E2E.Png.Solid(32, 32, (byte)(c * 60 + random.Next(40)), (byte)random.Next(256), (byte)(255 - c * 60)));
        }
    }
    await ImportAndWaitAsync(api, dataset, "images.zip", zip.ToArray());
    var version = (await PostAsync(api, $"/api/datasets/{dataset}/versions", new { split = new { train = 0.7, validation = 0.15, test = 0.15 }, seed = 1 })).GetProperty("id").GetString()!;
    // The CLI reads the same version, exported in ImageFolder layout (split/label/file).
    var folder = Path.Combine(Path.GetTempPath(), "transferhub-bench-overhead", Guid.NewGuid().ToString("N"));
    await using (var export = await api.GetStreamAsync($"/api/versions/{version}/export?format=imagefolder"))
    {
        await ZipFile.ExtractToDirectoryAsync(export, folder);
    }
    return (project, version, folder);
}

static async Task ImportAndWaitAsync(HttpClient api, string dataset, string name, byte[] bytes)
{
    using var form = new MultipartFormDataContent { { new ByteArrayContent(bytes), "files", name } };
    var import = await (await api.PostAsync($"/api/datasets/{dataset}/imports", form)).Content.ReadFromJsonAsync<JsonElement>();
    while ((await api.GetFromJsonAsync<JsonElement>($"/api/imports/{import.GetProperty("id").GetString()}")).GetProperty("status").GetString() == "Running")
    {
        await Task.Delay(200);
    }
}

static double CliSeconds(string folder, int epochs, int seed, string cacheDir, string device)
{
    DeleteFolder(Path.Combine(folder, "ckpt")); // each run starts fresh, as each platform run does
    var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
    foreach (var a in new[] { TransferHub.Tests.E2E.WorkerProcess.FindWorkerDll(), "train", "--data", folder, "--out", Path.Combine(folder, "out"), "--image-size", "32", "--epochs", $"{epochs}",
                 "--batch", "32", "--lr", "0.001", "--patience", "0", "--seed", $"{seed}", "--device", device, "--checkpoint-dir", Path.Combine(folder, "ckpt"),
                 "--cache-dir", cacheDir })
    {
        start.ArgumentList.Add(a);
    }
    var watch = Stopwatch.StartNew();
    using var process = Process.Start(start)!;
    var output = process.StandardOutput.ReadToEnd() + process.StandardError.ReadToEnd();
    process.WaitForExit();
    return process.ExitCode == 0 ? watch.Elapsed.TotalSeconds : throw new InvalidOperationException(output);
}

// --app-env KEY=VALUE[,KEY=VALUE]: extra environment for the app process of the overhead run (e.g. DOTNET_gcServer=0).
Dictionary<string, string> AppEnvironment() =>
    (args.SkipWhile(a => a != "--app-env").Skip(1).FirstOrDefault() ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries)
        .Select(p => p.Split('=', 2)).ToDictionary(p => p[0], p => p[1]);

static void DeleteFolder(string folder)
{
    if (Directory.Exists(folder))
    {
        Directory.Delete(folder, recursive: true);
    }
}

int Arg(string name, int fallback)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], System.Globalization.CultureInfo.InvariantCulture) : fallback;
}

/// <summary>An external client of the experiments hub, recording when each epoch arrived.</summary>
internal sealed class Watcher : IAsyncDisposable
{
    private readonly HubConnection _hub;
    private readonly SemaphoreSlim _arrived = new(0);

    private Watcher(HubConnection hub) => _hub = hub;

    public System.Collections.Concurrent.ConcurrentDictionary<int, double> Received { get; } = new();

    public static async Task<Watcher> StartAsync(string baseUrl, string token, Guid experimentId)
    {
        var hub = new HubConnectionBuilder()
            .WithUrl(baseUrl + ExperimentHubContract.Route, o => { o.Transports = HttpTransportType.WebSockets; o.AccessTokenProvider = () => Task.FromResult<string?>(token); })
            .Build();
        var watcher = new Watcher(hub);
        hub.On<RunMetricDto>(ExperimentHubContract.EpochReported, m =>
        {
            watcher.Received[m.Epoch] = (DateTime.UtcNow - DateTime.UnixEpoch).TotalMilliseconds;
            watcher._arrived.Release();
        });
        await hub.StartAsync();
        await hub.InvokeAsync(ExperimentHubContract.Watch, experimentId);
        return watcher;
    }

    public async Task WaitForAsync(int epoch)
    {
        while (!Received.ContainsKey(epoch))
        {
            await _arrived.WaitAsync(TimeSpan.FromSeconds(30));
        }
    }

    public async ValueTask DisposeAsync() => await _hub.DisposeAsync();
}

/// <summary>The experiment page in Chromium; reports when its runs table shows a given epoch count.</summary>
internal sealed class BrowserPage : IAsyncDisposable
{
    private readonly IPlaywright _playwright;
    private readonly IBrowser _browser;
    private readonly IPage _page;

    private BrowserPage(IPlaywright playwright, IBrowser browser, IPage page) => (_playwright, _browser, _page) = (playwright, browser, page);

    public static async Task<BrowserPage> OpenAsync(string baseUrl, Guid experimentId)
    {
        var playwright = await Playwright.CreateAsync();
        var browser = await playwright.Chromium.LaunchAsync(new()
        {
            ExecutablePath = Environment.GetEnvironmentVariable("CHROMIUM_PATH") ?? "/usr/bin/chromium", Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run", "--disable-sync"],
        });
        var page = await (await browser.NewContextAsync(new() { BaseURL = baseUrl })).NewPageAsync();
        await page.GotoAsync("/Account/Login");
        await page.GetByLabel("E-mail").FillAsync("admin@bench.test");
        await page.GetByLabel("Password").FillAsync("Bench-Passw0rd");
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await page.WaitForURLAsync($"{baseUrl}/");
        await page.GotoAsync($"/experiments/{experimentId}");
        await page.Locator("#app-interactive").WaitForAsync(new() { State = WaitForSelectorState.Attached });
        await page.Locator("#runs-table").WaitForAsync();
        return new BrowserPage(playwright, browser, page);
    }

    /// <summary>Resolves with the wall-clock time (ms since the epoch) at which the page shows <paramref name="epoch"/> epochs.</summary>
    public Task<double> WaitForEpochAsync(int epoch) => _page.EvaluateAsync<double>(@"(epoch) => new Promise(resolve => {
        const cell = () => document.querySelector('#runs-table tbody tr td:nth-child(6)');
        const check = () => { const t = cell() ? cell().textContent.trim() : ''; if (t === String(epoch) || t.startsWith(epoch + ' / ')) { observer.disconnect(); resolve(Date.now()); return true; } return false; };
        const observer = new MutationObserver(check);
        observer.observe(document.body, { childList: true, subtree: true, characterData: true });
        check();
    })", epoch);

    public async ValueTask DisposeAsync()
    {
        await _browser.DisposeAsync();
        _playwright.Dispose();
    }
}

