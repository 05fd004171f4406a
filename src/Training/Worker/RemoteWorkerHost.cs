using System.IO.Compression;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.Logging;
using TransferHub.Shared.Experiments;
using TransferHub.Shared.Training;

namespace TransferHub.Training.Worker;

/// <summary>
/// A worker on another machine: runs are claimed, heartbeated and finished over the worker hub; files travel
/// over HTTP. A dropped connection is reopened (and the worker registered again) while training goes on:
/// the lease gives it time.
/// </summary>
public sealed partial class RemoteWorkerHost : IWorkerHost, IAsyncDisposable
{
    public const string WorkerHeader = "X-TransferHub-Worker";

    private readonly HubConnection _hub;
    private readonly HttpClient _http;
    private readonly WorkerHello _hello;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _work = new(0);
    private readonly Polly.ResiliencePipeline _transfers;
    private TimeSpan _lease = TimeSpan.FromMinutes(2);

    /// <param name="handler">For tests: the transport to the server (a test server's handler); null for real sockets.</param>
    /// <param name="transferRetryDelay">The first backoff of a file transfer's retries (tests shorten it).</param>
    public RemoteWorkerHost(Uri server, string token, WorkerHello hello, ILogger logger, HttpMessageHandler? handler = null, TimeSpan? transferRetryDelay = null)
    {
        _hello = hello;
        _logger = logger;
        _transfers = TransferRetry.Create(firstDelay: transferRetryDelay, onRetry: (e, attempt) => LogTransferRetry(_logger, attempt, e.Message));
        _http = handler is null ? new HttpClient() : new HttpClient(handler, disposeHandler: false);
        _http.BaseAddress = server;
        _http.Timeout = TimeSpan.FromMinutes(30);
        _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        _http.DefaultRequestHeaders.Add(WorkerHeader, hello.WorkerId);
        _hub = new HubConnectionBuilder()
            .WithUrl(new Uri(server, WorkerHubContract.Route), o =>
            {
                o.AccessTokenProvider = () => Task.FromResult<string?>(token);
                if (handler is not null)
                {
                    o.HttpMessageHandlerFactory = _ => handler;
                    o.Transports = HttpTransportType.LongPolling;
                }
                else
                {
                    // One WebSocket, no negotiation: behind a load balancer without affinity (a Kubernetes Service)
                    // the negotiated connection id would be unknown to the node the WebSocket request reaches.
                    o.SkipNegotiation = true;
                    o.Transports = HttpTransportType.WebSockets;
                }
            })
            .WithAutomaticReconnect(new ForeverRetry())
            .Build();
        _hub.On(WorkerHubContract.WorkAvailable, () => _work.Release());
        _hub.Reconnected += async _ => await RegisterAsync(CancellationToken.None);
    }

    public string WorkerId => _hello.WorkerId;

    public TimeSpan HeartbeatInterval => _lease / 3;

    /// <summary>Connects and registers; a wrong token or another protocol version fails here with the server's reason.</summary>
    public async Task ConnectAsync(CancellationToken ct)
    {
        await _hub.StartAsync(ct);
        await RegisterAsync(ct);
    }

    private async Task RegisterAsync(CancellationToken ct)
    {
        var welcome = await _hub.InvokeAsync<WorkerWelcome>(WorkerHubContract.Register, _hello, ct);
        _lease = welcome.Lease;
        LogRegistered(_logger, welcome.WorkerId, _hub.ConnectionId);
    }

    public Task<ClaimedRun?> ClaimAsync(CancellationToken ct) => InvokeAsync<ClaimedRun?>(WorkerHubContract.Claim, [], ct);

    public async Task WaitForWorkAsync(TimeSpan timeout, CancellationToken ct) => await _work.WaitAsync(timeout, ct);

    public Task<HeartbeatReply> HeartbeatAsync(ClaimedRun run, CancellationToken ct) =>
        _hub.InvokeAsync<HeartbeatReply>(WorkerHubContract.Heartbeat, run.RunId, ct);

    public async Task<string> DownloadDatasetAsync(ClaimedRun run, RunPlan plan, string folder, CancellationToken ct)
    {
        var zip = Path.Combine(folder, "dataset.zip");
        await DownloadAsync($"api/worker/runs/{run.RunId}/dataset", zip, ct);
        var data = Path.Combine(folder, "data");
        await ZipFile.ExtractToDirectoryAsync(zip, data, overwriteFiles: true, ct);
        File.Delete(zip);
        var text = Path.Combine(data, "train.jsonl");
        return File.Exists(text) ? text : data;
    }

    public Task DownloadSourceAsync(ClaimedRun run, string path, CancellationToken ct) => DownloadAsync($"api/worker/runs/{run.RunId}/source", path, ct);

    public Task DownloadCheckpointAsync(ClaimedRun run, string path, CancellationToken ct) => DownloadAsync($"api/worker/runs/{run.RunId}/checkpoint", path, ct);

    public Task ReportEpochAsync(ClaimedRun run, EpochMetrics metrics, CancellationToken ct) =>
        InvokeAsync<bool>(WorkerHubContract.ReportEpoch, [new EpochReport(run.RunId, metrics)], ct);

    public Task ReportStepsAsync(ClaimedRun run, IReadOnlyList<StepLoss> steps, CancellationToken ct) =>
        InvokeAsync<bool>(WorkerHubContract.ReportSteps, [new StepBatch(run.RunId, steps)], ct);

    public Task UploadCheckpointAsync(ClaimedRun run, string zipPath, CancellationToken ct) => UploadAsync($"api/worker/runs/{run.RunId}/checkpoint", zipPath, ct);

    public Task UploadModelAsync(ClaimedRun run, string modelPath, CancellationToken ct) => UploadAsync($"api/worker/runs/{run.RunId}/model", modelPath, ct);

    public Task CompleteAsync(ClaimedRun run, TrainingResult result, CancellationToken ct) =>
        InvokeAsync<bool>(WorkerHubContract.Complete, [run.RunId, result], ct);

    public Task FailAsync(ClaimedRun run, string error, bool retry, CancellationToken ct) => InvokeAsync<bool>(WorkerHubContract.Fail, [run.RunId, error, retry], ct);

    public Task ReleaseAsync(ClaimedRun run, CancellationToken ct) => _hub.InvokeAsync<bool>(WorkerHubContract.Release, run.RunId, ct);

    /// <summary>Waits out a reconnect (up to a minute) instead of losing a result or an epoch to a dropped socket.</summary>
    private async Task<T> InvokeAsync<T>(string method, object?[] args, CancellationToken ct)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return await _hub.InvokeCoreAsync<T>(method, args, ct);
            }
            catch (Exception e) when (e is InvalidOperationException or IOException && attempt < 60 && !ct.IsCancellationRequested)
            {
                // Not connected right now: the automatic reconnect is on its way.
                LogWaitingForConnection(_logger, method, e.Message);
                await Task.Delay(TimeSpan.FromSeconds(1), ct);
            }
        }
    }

    // Each try starts over: the download into a fresh partial file moved into place only when complete, the upload
    // with a new body read from the start of the file (a consumed stream cannot be sent twice).
    private Task DownloadAsync(string path, string target, CancellationToken ct) =>
        _transfers.ExecuteAsync(async token =>
        {
            using var response = await _http.GetAsync(path, HttpCompletionOption.ResponseHeadersRead, token);
            await EnsureSuccessAsync(response, token);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            var partial = target + ".partial";
            await using (var file = File.Create(partial))
            {
                await response.Content.CopyToAsync(file, token);
            }
            File.Move(partial, target, overwrite: true);
        }, ct).AsTask();

    private Task UploadAsync(string path, string source, CancellationToken ct) =>
        _transfers.ExecuteAsync(async token =>
        {
            await using var file = File.OpenRead(source);
            using var content = new StreamContent(file);
            content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
            using var response = await _http.PutAsync(path, content, token);
            await EnsureSuccessAsync(response, token);
        }, ct).AsTask();

    private static async Task EnsureSuccessAsync(HttpResponseMessage response, CancellationToken ct)
    {
        if (!response.IsSuccessStatusCode)
        {
            // A proxy's error page is HTML, not a problem document: its status is what counts.
            Problem? problem = null;
            try
            {
                problem = await response.Content.ReadFromJsonAsync<Problem>(ct).ConfigureAwait(false);
            }
            catch (Exception e) when (e is System.Text.Json.JsonException or NotSupportedException)
            {
                problem = new Problem(response.ReasonPhrase, null);
            }
            var message = $"{(int)response.StatusCode} {problem?.Title}: {problem?.Detail}".Trim();
            throw response.StatusCode == System.Net.HttpStatusCode.NotFound
                ? new RunUnavailableException(problem?.Detail ?? message)
                : new HttpRequestException(message, null, response.StatusCode);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _hub.DisposeAsync();
        _http.Dispose();
        _work.Dispose();
    }

    private sealed record Problem(string? Title, string? Detail);

    /// <summary>Reconnects for as long as the worker runs: 0, 1, 2, 5 s, then every 10 s.</summary>
    private sealed class ForeverRetry : IRetryPolicy
    {
        public TimeSpan? NextRetryDelay(RetryContext context) => context.PreviousRetryCount switch
        {
            0 => TimeSpan.Zero,
            1 => TimeSpan.FromSeconds(1),
            2 => TimeSpan.FromSeconds(2),
            3 => TimeSpan.FromSeconds(5),
            _ => TimeSpan.FromSeconds(10),
        };
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Registered as worker {WorkerId} (connection {ConnectionId})")]
    private static partial void LogRegistered(ILogger logger, string workerId, string? connectionId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A file transfer failed and is retried (retry {Attempt}): {Error}")]
    private static partial void LogTransferRetry(ILogger logger, int attempt, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Method} waits for the connection to the server: {Error}")]
    private static partial void LogWaitingForConnection(ILogger logger, string method, string error);
}
