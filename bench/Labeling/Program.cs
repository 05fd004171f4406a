// Labeling benchmark: starts the real app on loopback with a fresh SQLite database (or, with --database postgres, a
// fresh database on a throwaway PostgreSQL server with fsync on), then measures
// (1) import rate of 100 000 text lines and of 10 000 small PNG images, (2) label submissions through
// the labeling hub by 20 concurrent annotators on a 100 000-item dataset (p50/p95, and a check that no
// label was lost or duplicated), (3) the time from a key press to the next item in Chromium (p50/p95).
// --page-loads N instead: N warm loads of each main page in Chromium, timed by phase (PageLoadBench); with
// --trace-circuit 1 the last load of each page also prints its circuit's WebSocket frames as a timeline.
using System.Diagnostics;
using System.IO.Compression;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Playwright;
using TransferHub.Bench.Labeling;
using static TransferHub.Bench.Labeling.BenchApp;
using TransferHub.Shared.Datasets;

var items = Arg("--items", 100_000);
var annotators = Arg("--annotators", 20);
var submissions = Arg("--submissions", 4_000);
var images = Arg("--images", 10_000);
var browserSteps = Arg("--browser-steps", 60);
var thinkMs = Arg("--think-ms", 0); // pause between an annotator's labels; 0 = as fast as the server answers
var nodes = Arg("--nodes", 1); // 2: two web nodes on one database joined by Redis, annotators split between them
var watchDataset = Arg("--watch-dataset", 0) == 1; // 1: the dataset's page open in Chromium (live counts) during the submissions
var database = args.SkipWhile(a => a != "--database").Skip(1).FirstOrDefault() ?? "sqlite"; // sqlite | postgres
const string Token = "thp_bench-bootstrap-token-0123456789abcdef";

await using var redis = nodes > 1 ? await TransferHub.Tests.E2E.RedisProcess.StartAsync() : null;
var slowMs = Arg("--pg-slow-ms", 0); // > 0: PostgreSQL logs statements slower than this; the log is copied next to the benchmark
await using var postgres = database == "postgres"
    ? await TransferHub.Tests.Support.PostgresServer.StartAsync(durable: Arg("--pg-fsync", 1) == 1, slowMs > 0 ? $"-c log_min_duration_statement={slowMs} -c shared_preload_libraries=auto_explain -c auto_explain.log_min_duration={slowMs} -c auto_explain.log_analyze=on" : "") : null;
var shared = new Dictionary<string, string>
{
    // One artifact folder for every node (and, on SQLite, one database file in it).
    ["Data:Root"] = Path.Combine(Path.GetTempPath(), "transferhub-bench", Guid.NewGuid().ToString("N")),
};
if (redis is not null)
{
    shared["Redis:ConnectionString"] = redis.ConnectionString;
}
if (postgres is not null)
{
    shared["Database:Provider"] = "PostgreSql";
    shared["ConnectionStrings:TransferHub"] = await postgres.CreateDatabaseAsync() + (Arg("--pg-auto-prepare", 0) is var prepare and > 0 ? $";Max Auto Prepare={prepare}" : "");
}
var apps = new List<BenchApp>();
for (var n = 0; n < nodes; n++)
{
    apps.Add(await BenchApp.StartAsync(Token, shared));
}
await using var app = apps[0];
if (Arg("--webhooks", 0) is var webhookEvents and > 0)
{
    await WebhookBench.RunAsync(app, Token, database, webhookEvents);
    return;
}
using var api = new HttpClient { BaseAddress = new Uri(app.BaseUrl), Timeout = TimeSpan.FromMinutes(10) };
api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token);
var project = await PostAsync(api, "/api/projects", new { name = "bench" });
var projectId = project.GetProperty("id").GetString()!;

// 1a. Text import.
var text = await PostAsync(api, $"/api/projects/{projectId}/datasets", new { name = "texts", kind = "Text", task = "SingleLabel", labels = new[] { new { name = "a" }, new { name = "b" } } });
var textId = text.GetProperty("id").GetString()!;
var lines = Encoding.UTF8.GetBytes(string.Join('\n', Enumerable.Range(0, items).Select(i => $"benchmark sentence number {i} about nothing in particular")));
var textSeconds = await ImportAsync(api, textId, "lines.txt", lines, items);
Console.WriteLine($"import: {items:N0} text lines in {textSeconds:0.0} s = {items / textSeconds:N0} lines/s");

// 1b. Image import.
var imageSet = await PostAsync(api, $"/api/projects/{projectId}/datasets", new { name = "images", kind = "Image", task = "SingleLabel" });
var zip = ImageZip(images);
var imageSeconds = await ImportAsync(api, imageSet.GetProperty("id").GetString()!, "images.zip", zip, images);
Console.WriteLine($"import: {images:N0} 32×32 PNG images ({zip.Length / 1_048_576.0:0.0} MB zip) in {imageSeconds:0.0} s = {images / imageSeconds:N0} images/s");
if (Arg("--backup", 0) == 1)
{
    // The backup command beside the running app (online), then a restore into a fresh folder.
    var archive = Path.Combine(Path.GetTempPath(), $"th-bench-backup-{Guid.NewGuid():N}.zip");
    var restored = Path.Combine(Path.GetTempPath(), $"th-bench-restored-{Guid.NewGuid():N}");
    var backupSeconds = BenchApp.RunCommand(app.DataRoot, "backup", "--out", archive);
    var restoreSeconds = BenchApp.RunCommand(restored, "restore", "--from", archive);
    Console.WriteLine($"backup of {items:N0} text items + {images:N0} images ({new FileInfo(archive).Length / 1_048_576.0:0.0} MB zip): {backupSeconds:0.0} s while the app runs; restore into a fresh folder: {restoreSeconds:0.0} s");
    File.Delete(archive);
    Directory.Delete(restored, recursive: true);
    return;
}

using var playwright = await Playwright.CreateAsync();
await using var browser = await playwright.Chromium.LaunchAsync(new()
{
    ExecutablePath = Environment.GetEnvironmentVariable("CHROMIUM_PATH") ?? "/usr/bin/chromium", Headless = true,
    Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run", "--disable-sync"],
});
async Task<IPage> SignedInPageAsync(string email)
{
    var signedIn = await (await browser.NewContextAsync(new() { BaseURL = app.BaseUrl })).NewPageAsync();
    await signedIn.GotoAsync("/Account/Login");
    await signedIn.GetByLabel("E-mail").FillAsync(email);
    await signedIn.GetByLabel("Password").FillAsync("Bench-Passw0rd");
    await signedIn.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
    await signedIn.WaitForURLAsync($"{app.BaseUrl}/");
    return signedIn;
}
if (Arg("--page-loads", 0) is var loads and > 0)
{
    var imageId = imageSet.GetProperty("id").GetString()!;
    (string Name, string Path)[] pages =
    [
        ("Home", "/"), ("Projects", "/projects"), ("Project", $"/projects/{projectId}"), ("Datasets", "/datasets"),
        ($"Dataset ({items:N0} texts)", $"/datasets/{textId}"), ($"Dataset ({images:N0} images)", $"/datasets/{imageId}"),
        ($"Dataset items ({items:N0} texts)", $"/datasets/{textId}/items"), ($"Dataset items ({images:N0} images)", $"/datasets/{imageId}/items"),
        ("Labeling", $"/datasets/{textId}/label"), ("Experiments", "/experiments"), ("Models", "/models"), ("Monitoring", "/monitoring"),
    ];
    // --only A,B: just the pages whose name contains one of them (e.g. "Home,Dataset (" for Home and the two dataset pages).
    var only = args.SkipWhile(a => a != "--only").Skip(1).FirstOrDefault()?.Split(',');
    await PageLoadBench.RunAsync(await SignedInPageAsync("admin@bench.test"),
        [.. pages.Where(p => only is null || only.Any(o => p.Name.Contains(o, StringComparison.Ordinal)))], loads, traceCircuit: Arg("--trace-circuit", 0) == 1);
    return;
}
if (watchDataset)
{
    var watcher = await SignedInPageAsync("admin@bench.test");
    await watcher.GotoAsync($"/datasets/{textId}");
    await watcher.Locator("#app-interactive").WaitForAsync(new() { State = WaitForSelectorState.Attached });
}

// 2. Concurrent annotators over the hub.
var clients = new List<(string Email, HubConnection Hub)>();
for (var i = 0; i < annotators; i++)
{
    var email = $"annotator{i}@bench.test";
    await PostAsync(api, "/api/users", new { email, password = "Bench-Passw0rd", roles = new[] { "Labeler" } });
    await PostAsync(api, $"/api/projects/{projectId}/members", new { email, role = "Labeler" });
    var token = (await PostAsync(api, "/api/auth/token", new { email, password = "Bench-Passw0rd" })).GetProperty("token").GetString()!;
    var hub = new HubConnectionBuilder().WithUrl($"{apps[i % apps.Count].BaseUrl}{LabelingHubContract.Route}", o =>
    {
        o.Transports = HttpTransportType.WebSockets;
        o.AccessTokenProvider = () => Task.FromResult<string?>(token);
    }).Build();
    await hub.StartAsync();
    await hub.InvokeAsync("Join", Guid.Parse(textId));
    clients.Add((email, hub));
}
var latencies = new List<double>();
var remaining = submissions;
var labeledItems = new System.Collections.Concurrent.ConcurrentBag<Guid>();
var wall = Stopwatch.StartNew();
await Task.WhenAll(clients.Select(async (c, index) =>
{
    while (Interlocked.Decrement(ref remaining) >= 0)
    {
        var next = await c.Hub.InvokeAsync<HubItem?>("Next", Guid.Parse(textId), Array.Empty<Guid>());
        if (next is null)
        {
            break;
        }
        var watch = Stopwatch.StartNew();
        await c.Hub.InvokeAsync<HubSubmitResult>("Submit", next.Item.Id, new[] { index % 2 == 0 ? "a" : "b" }, 1000);
        watch.Stop();
        lock (latencies)
        {
            latencies.Add(watch.Elapsed.TotalMilliseconds);
        }
        labeledItems.Add(next.Item.Id);
        if (thinkMs > 0)
        {
            await Task.Delay(thinkMs);
        }
    }
}));
wall.Stop();
latencies.Sort();
var after = await api.GetFromJsonAsync<JsonElement>($"/api/datasets/{textId}");
var labeled = after.GetProperty("labeledCount").GetInt32();
var distinct = labeledItems.Distinct().Count();
Console.WriteLine($"submit over the hub, {database}, {annotators} annotators on {nodes} node(s) (think {thinkMs} ms){(watchDataset ? ", dataset page open" : "")}, {items:N0} items: n={latencies.Count:N0} p50={Percentile(latencies, 0.5):0.0} ms p95={Percentile(latencies, 0.95):0.0} ms max={latencies[^1]:0.0} ms, {latencies.Count / wall.Elapsed.TotalSeconds:N0} labels/s");
if (postgres is not null && slowMs > 0)
{
    File.Copy(postgres.LogFile, Path.Combine(Path.GetTempPath(), "bench-postgres.log"), overwrite: true);
    Console.WriteLine($"slow statements: {Path.Combine(Path.GetTempPath(), "bench-postgres.log")}");
}
Console.WriteLine($"integrity: {latencies.Count} submitted, {distinct} distinct items, {labeled} labeled in the database → lost {latencies.Count - labeled}, duplicated {latencies.Count - distinct}");
foreach (var (_, hub) in clients)
{
    await hub.DisposeAsync();
}
foreach (var other in apps.Skip(1))
{
    await other.DisposeAsync();
}

// 3. Time to the next item in the browser.
if (browserSteps == 0)
{
    return;
}
var page = await SignedInPageAsync("annotator0@bench.test");
await page.GotoAsync($"/datasets/{textId}/label");
await page.Locator("#app-interactive").WaitForAsync(new() { State = WaitForSelectorState.Attached });
await page.Locator("#labeling-text").WaitForAsync();
var browserTimes = new List<double>();
for (var i = 0; i < browserSteps; i++)
{
    var before = await page.Locator("#labeling-text").TextContentAsync();
    // Measured inside the page: from the key event to the DOM showing a different item.
    var elapsed = await page.EvaluateAsync<double>(@"(before) => new Promise(resolve => {
        const start = performance.now();
        const el = () => document.querySelector('#labeling-text');
        const observer = new MutationObserver(() => { if (el() && el().textContent !== before) { observer.disconnect(); resolve(performance.now() - start); } });
        observer.observe(document.body, { childList: true, subtree: true, characterData: true });
        document.querySelector('#labeling-surface').dispatchEvent(new KeyboardEvent('keydown', { key: '1', bubbles: true }));
    })", before);
    if (i >= 5)
    {
        browserTimes.Add(elapsed); // the first few warm up the circuit and the JIT
    }
}
browserTimes.Sort();
Console.WriteLine($"browser: key press to next item, n={browserTimes.Count}: p50={Percentile(browserTimes, 0.5):0.0} ms p95={Percentile(browserTimes, 0.95):0.0} ms");

int Arg(string name, int fallback)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1]) : fallback;
}

static async Task<double> ImportAsync(HttpClient http, string datasetId, string name, byte[] bytes, int expected)
{
    var watch = Stopwatch.StartNew();
    using var form = new MultipartFormDataContent { { new ByteArrayContent(bytes), "files", name } };
    var response = await http.PostAsync($"/api/datasets/{datasetId}/imports", form);
    var import = await response.Content.ReadFromJsonAsync<JsonElement>();
    while (true)
    {
        import = await http.GetFromJsonAsync<JsonElement>($"/api/imports/{import.GetProperty("id").GetString()}");
        if (import.GetProperty("status").GetString() != "Running")
        {
            break;
        }
        await Task.Delay(200);
    }
    watch.Stop();
    var added = import.GetProperty("added").GetInt32();
    if (added != expected)
    {
        throw new InvalidOperationException($"Imported {added} of {expected}: {import}");
    }
    return watch.Elapsed.TotalSeconds;
}

static byte[] ImageZip(int count)
{
    using var buffer = new MemoryStream();
    using (var zip = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
    {
        for (var i = 0; i < count; i++)
        {
            using var entry = zip.CreateEntry($"class{i % 10}/{i}.png", CompressionLevel.Fastest).Open();
            entry.Write(TransferHub.Tests.E2E.Png.Solid(32, 32, (byte)(i % 251), (byte)(i / 251 % 251), (byte)(i / 63001)));
        }
    }
    return buffer.ToArray();
}
