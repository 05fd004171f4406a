using System.Collections.Concurrent;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace TransferHub.Tests.Support;

/// <summary>
/// A Hugging Face Hub on a loopback port, speaking its protocol: <c>GET /api/models/{owner}/{name}/tree/{revision}</c>
/// (files with sizes; LFS files with their SHA-256) and <c>GET /{owner}/{name}/resolve/{revision}/{file}</c> with Range.
/// Repositories are what the tests put in <see cref="Repos"/>; faults are switched on per repository or file. Linked into
/// the unit and e2e test projects.
/// </summary>
public sealed class LoopbackHub : IAsyncDisposable
{
    public const string Token = "hf_loopback-test-token";

    private readonly WebApplication _app;

    public ConcurrentDictionary<string, Dictionary<string, byte[]>> Repos { get; } = new(StringComparer.Ordinal);

    /// <summary>"repo/file" whose listing carries a wrong SHA-256.</summary>
    public ConcurrentDictionary<string, bool> WrongSha { get; } = new();

    /// <summary>"repo/file" whose next full download stops halfway (the connection is dropped).</summary>
    public ConcurrentDictionary<string, bool> CutOnce { get; } = new();

    /// <summary>Repositories that answer with a status code instead (401 for gated, 500 for a broken Hub).</summary>
    public ConcurrentDictionary<string, int> Status { get; } = new();

    /// <summary>Repositories whose requests never answer.</summary>
    public ConcurrentDictionary<string, bool> Hang { get; } = new();

    /// <summary>Every download of "repo/file" with the byte it started from.</summary>
    /// <summary>"repo/file" whose next full download sends half, then waits for the test to complete the source (a slow link).</summary>
    public ConcurrentDictionary<string, TaskCompletionSource> Paused { get; } = new();

    public ConcurrentQueue<(string File, long From)> Downloads { get; } = new();

    public string Url { get; }

    private LoopbackHub(WebApplication app)
    {
        _app = app;
        Url = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
    }

    public static async Task<LoopbackHub> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        LoopbackHub? hub = null;
        app.MapGet("/api/models/{owner}/{name}/tree/{revision}", async (string owner, string name, HttpContext http) =>
            await hub!.Guarded($"{owner}/{name}", http, () => Results.Json(hub.Repos[$"{owner}/{name}"].Select(kv => hub.Entry($"{owner}/{name}", kv.Key, kv.Value)))));
        app.MapGet("/{owner}/{name}/resolve/{revision}/{**file}", async (string owner, string name, string file, HttpContext http) =>
            await hub!.Guarded($"{owner}/{name}", http, () => hub.Serve($"{owner}/{name}", file, http)));
        await app.StartAsync();
        hub = new LoopbackHub(app);
        return hub;
    }

    private async Task<IResult> Guarded(string repo, HttpContext http, Func<IResult> answer)
    {
        if (Hang.ContainsKey(repo))
        {
            await Task.Delay(Timeout.Infinite, http.RequestAborted).ContinueWith(_ => { }, TaskScheduler.Default);
            return Results.StatusCode(504);
        }
        if (http.Request.Headers.Authorization.ToString() != $"Bearer {Token}" || Status.GetValueOrDefault(repo) == 401)
        {
            return Results.StatusCode(401);
        }
        if (Status.TryGetValue(repo, out var status))
        {
            return Results.StatusCode(status);
        }
        return Repos.ContainsKey(repo) ? answer() : Results.NotFound();
    }

    private object Entry(string repo, string path, byte[] content)
    {
        var lfs = path.EndsWith(".safetensors", StringComparison.Ordinal) || path.EndsWith(".onnx", StringComparison.Ordinal);
        var sha = Convert.ToHexStringLower(SHA256.HashData(content));
        if (WrongSha.ContainsKey($"{repo}/{path}")) sha = new string('0', 64);
        return lfs
            ? new { type = "file", path, size = 134L, oid = "0123", lfs = new { oid = sha, size = (long)content.Length, pointerSize = 134 } }
            : new { type = "file", path, size = (long)content.Length, oid = "4567", lfs = (object?)null };
    }

    private IResult Serve(string repo, string file, HttpContext http)
    {
        if (!Repos[repo].TryGetValue(file, out var content))
        {
            return Results.NotFound();
        }
        var range = http.Request.GetTypedHeaders().Range?.Ranges.FirstOrDefault();
        var from = range?.From ?? 0;
        Downloads.Enqueue(($"{repo}/{file}", from));
        if (from == 0 && CutOnce.TryRemove($"{repo}/{file}", out _))
        {
            return new Halfway(content);
        }
        if (from == 0 && Paused.TryRemove($"{repo}/{file}", out var gate))
        {
            return new Halfway(content, gate.Task);
        }
        return Results.File(content, "application/octet-stream", enableRangeProcessing: true);
    }

    /// <summary>
    /// Announces the whole length and sends half; then drops the connection (a proxy that cut the transfer), or, given
    /// <paramref name="resume"/>, sends the rest once it completes (a slow link the test controls).
    /// </summary>
    private sealed class Halfway(byte[] content, Task? resume = null) : IResult
    {
        public async Task ExecuteAsync(HttpContext http)
        {
            http.Response.ContentLength = content.Length;
            await http.Response.Body.WriteAsync(content.AsMemory(0, content.Length / 2));
            await http.Response.Body.FlushAsync();
            if (resume is null)
            {
                http.Abort();
                return;
            }
            await resume.WaitAsync(http.RequestAborted);
            await http.Response.Body.WriteAsync(content.AsMemory(content.Length / 2));
        }
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
