using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace TransferHub.Tests.Support;

/// <summary>
/// A webhook receiver on a loopback port, as a team's service or Slack would be: records every POST (headers and body)
/// and answers from a script — a status code, a pause, or a redirect — taken in turn, then 200.
/// </summary>
public sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<Func<HttpContext, Task>> _script = new();
    private readonly SemaphoreSlim _arrived = new(0);

    public sealed record Received(string Event, string Delivery, string Signature, string Body, string ContentType, DateTimeOffset At);

    public ConcurrentQueue<Received> Requests { get; } = new();

    public string Url { get; }

    private WebhookReceiver(WebApplication app, string url) => (_app, Url) = (app, url);

    /// <param name="port">A fixed port (to start a receiver where a webhook already points); free one when null.</param>
    public static async Task<WebhookReceiver> StartAsync(int? port = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port ?? 0}");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        WebhookReceiver? receiver = null;
        app.MapPost("/{**path}", async (HttpContext http) =>
        {
            using var reader = new StreamReader(http.Request.Body);
            var body = await reader.ReadToEndAsync();
            receiver!.Requests.Enqueue(new Received(http.Request.Headers["X-TransferHub-Event"].ToString(), http.Request.Headers["X-TransferHub-Delivery"].ToString(),
                http.Request.Headers["X-TransferHub-Signature"].ToString(), body, http.Request.ContentType ?? "", DateTimeOffset.UtcNow));
            receiver._arrived.Release();
            if (receiver._script.TryDequeue(out var answer))
            {
                await answer(http);
            }
        });
        await app.StartAsync();
        var address = app.Urls.First();
        receiver = new WebhookReceiver(app, address + "/hook");
        return receiver;
    }

    /// <summary>The next request gets this status code.</summary>
    public void ThenAnswer(int status) => _script.Enqueue(http => { http.Response.StatusCode = status; return Task.CompletedTask; });

    /// <summary>The next request waits this long before its 200 (a slow or hanging receiver).</summary>
    public void ThenHang(TimeSpan pause) => _script.Enqueue(async http => await Task.Delay(pause, http.RequestAborted));

    /// <summary>The next request is redirected to <paramref name="location"/>.</summary>
    public void ThenRedirect(string location) => _script.Enqueue(http => { http.Response.Redirect(location); return Task.CompletedTask; });

    /// <summary>Waits until at least <paramref name="count"/> requests arrived.</summary>
    public async Task<IReadOnlyList<Received>> WaitForAsync(int count, TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(30));
        while (Requests.Count < count)
        {
            await _arrived.WaitAsync(cts.Token);
        }
        return [.. Requests];
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
