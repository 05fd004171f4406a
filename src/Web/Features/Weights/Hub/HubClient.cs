using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.Extensions.Options;

namespace TransferHub.Web.Features.Weights.Hub;

/// <summary>One file of a Hub repository: its path, size and, for LFS files, SHA-256; <paramref name="LocalPath"/> when it is in the offline folder.</summary>
public sealed record HubFile(string Path, long Size, string? Sha256, string? LocalPath = null);

/// <summary>The Hub refused or failed a request; the message says what to do.</summary>
public sealed class HubException(string message, HttpStatusCode? status = null, Exception? inner = null) : Exception(message, inner)
{
    public HttpStatusCode? Status { get; } = status;
}

/// <summary>
/// Downloads model files through the Hugging Face Hub's public HTTP protocol: the file listing
/// (<c>/api/models/{repo}/tree/{revision}</c>, with sizes and LFS SHA-256s), then <c>/{repo}/resolve/{revision}/{file}</c>.
/// Files land in a cache keyed by SHA-256 (two imports of one file download it once, a second node's import reuses it),
/// a cut transfer resumes from its partial file with a Range request, and nothing is used before its SHA-256 matches.
/// Repositories in the offline folder (<see cref="HubOptions.OfflineFolder"/>) are read from there first, with no request at all.
/// </summary>
public sealed partial class HubClient(HttpClient http, IOptions<HubOptions> options, ILogger<HubClient> logger)
{
    private static readonly ConcurrentDictionary<string, SemaphoreSlim> Downloads = new(StringComparer.Ordinal);
    private readonly HubOptions _options = options.Value;
    private readonly HubOfflineFolder? _offline = string.IsNullOrWhiteSpace(options.Value.OfflineFolder) ? null : new HubOfflineFolder(options.Value.OfflineFolder);

    public string CacheFolder => _options.CacheFolder ?? throw new InvalidOperationException("Hub:CacheFolder is set at start.");

    /// <summary>Whether this node never contacts the Hub (only the offline folder is read).</summary>
    public bool IsOffline => _options.Offline;

    /// <summary>The repositories in the offline folder (none when there is no folder).</summary>
    public IReadOnlySet<string> OfflineRepos() => _offline?.Repos() ?? new HashSet<string>();

    /// <summary>The repository's files at <paramref name="revision"/>: from the offline folder when it holds them, else from the Hub.</summary>
    public async Task<IReadOnlyList<HubFile>> ListAsync(string repo, string revision, CancellationToken ct)
    {
        if (_offline?.TryList(repo, revision) is { } local)
        {
            LogOffline(logger, repo, revision);
            return local;
        }
        if (_options.Offline)
        {
            throw new HubException($"{repo}@{revision} is not in the offline folder, and this node does not contact the Hub (Hub:Offline): copy the repository's cache folder (models--{repo.Replace("/", "--", StringComparison.Ordinal)}) there first.", HttpStatusCode.NotFound);
        }
        using var response = await SendAsync(HttpMethod.Get, $"api/models/{repo}/tree/{Uri.EscapeDataString(revision)}?recursive=true", null, repo, ct);
        await using var body = await response.Content.ReadAsStreamAsync(ct);
        try
        {
            using var json = await JsonDocument.ParseAsync(body, cancellationToken: ct);
            return [.. json.RootElement.EnumerateArray()
                .Where(e => e.GetProperty("type").GetString() == "file")
                .Select(e => new HubFile(e.GetProperty("path").GetString()!,
                    e.TryGetProperty("lfs", out var lfs) && lfs.ValueKind == JsonValueKind.Object ? lfs.GetProperty("size").GetInt64() : e.GetProperty("size").GetInt64(),
                    e.TryGetProperty("lfs", out var l) && l.ValueKind == JsonValueKind.Object ? l.GetProperty("oid").GetString() : null))];
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw new HubException($"The Hub's file listing for {repo} is not readable: {e.Message}", inner: e);
        }
    }

    /// <summary>The file's path in the cache, downloading (or resuming) it first when needed; verified against its SHA-256.</summary>
    public async Task<string> DownloadAsync(string repo, string revision, HubFile file, IProgress<double>? progress, CancellationToken ct)
    {
        if (file.Size > _options.MaxFileBytes)
        {
            throw new HubException($"{file.Path} is {file.Size / (1 << 20)} MiB; the limit is {_options.MaxFileBytes / (1 << 20)} MiB.", HttpStatusCode.RequestEntityTooLarge);
        }
        if (file.LocalPath is not null)
        {
            var verified = await HubOfflineFolder.VerifyAsync(file, ct);
            progress?.Report(1);
            return verified;
        }
        // Small non-LFS files (config.json, vocab.txt) have no SHA-256 in the listing: keyed by repo, revision and path.
        var key = file.Sha256 ?? Convert.ToHexStringLower(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes($"{repo}@{revision}/{file.Path}")));
        var blob = Path.Combine(CacheFolder, "blobs", key);
        var gate = Downloads.GetOrAdd(key, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(ct);
        try
        {
            if (File.Exists(blob))
            {
                progress?.Report(1);
                return blob;
            }
            Directory.CreateDirectory(Path.GetDirectoryName(blob)!);
            var partial = blob + ".part";
            await FetchAsync(repo, revision, file, partial, progress, ct);
            if (file.Sha256 is not null)
            {
                string actual;
                await using (var stream = File.OpenRead(partial))
                {
                    actual = Convert.ToHexStringLower(await SHA256.HashDataAsync(stream, ct));
                }
                if (!actual.Equals(file.Sha256, StringComparison.OrdinalIgnoreCase))
                {
                    File.Delete(partial);
                    throw new HubException($"{file.Path} from {repo} does not match its SHA-256 ({actual[..12]}… where the Hub lists {file.Sha256[..Math.Min(12, file.Sha256.Length)]}…): nothing was kept; try again.");
                }
            }
            File.Move(partial, blob, overwrite: true);
            return blob;
        }
        finally
        {
            gate.Release();
        }
    }

    // Appends to the partial file from where it stopped (Range), so a cut transfer continues instead of starting over.
    private async Task FetchAsync(string repo, string revision, HubFile file, string partial, IProgress<double>? progress, CancellationToken ct)
    {
        var have = File.Exists(partial) ? new FileInfo(partial).Length : 0;
        if (have > file.Size)
        {
            File.Delete(partial);
            have = 0;
        }
        if (have == file.Size && have > 0)
        {
            return;
        }
        var range = have > 0 ? new RangeHeaderValue(have, null) : null;
        using var response = await SendAsync(HttpMethod.Get, $"{repo}/resolve/{Uri.EscapeDataString(revision)}/{file.Path}", range, repo, ct);
        if (have > 0 && response.StatusCode != HttpStatusCode.PartialContent)
        {
            have = 0; // the server ignored the range: start over
        }
        if (have > 0)
        {
            LogResuming(logger, file.Path, have, file.Size);
        }
        await using var body = await response.Content.ReadAsStreamAsync(ct);
        await using var output = new FileStream(partial, have > 0 ? FileMode.Append : FileMode.Create, FileAccess.Write);
        var buffer = new byte[1 << 16];
        var written = have;
        try
        {
            int read;
            while ((read = await body.ReadAsync(buffer, ct)) > 0)
            {
                if (written + read > file.Size)
                {
                    throw new HubException($"{file.Path} from {repo} is longer than the {file.Size} bytes the Hub lists.");
                }
                await output.WriteAsync(buffer.AsMemory(0, read), ct);
                written += read;
                progress?.Report(file.Size == 0 ? 1 : (double)written / file.Size);
            }
        }
        catch (Exception e) when (e is IOException or HttpRequestException)
        {
            // What arrived stays in the partial file: the next import asks only for the rest.
            throw new HubException($"The download of {file.Path} broke off at {written} of {file.Size} bytes ({e.Message}); importing again resumes it.", inner: e);
        }
        if (written != file.Size)
        {
            throw new HubException($"The download of {file.Path} stopped at {written} of {file.Size} bytes; importing again resumes it.");
        }
    }

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, RangeHeaderValue? range, string repo, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(method, new Uri(new Uri(_options.Endpoint.TrimEnd('/') + "/"), path));
        if (!string.IsNullOrEmpty(_options.Token))
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _options.Token);
        }
        request.Headers.Range = range;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(_options.Timeout);
        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
        }
        catch (OperationCanceledException e) when (!ct.IsCancellationRequested)
        {
            throw new HubException($"The Hub did not answer within {_options.Timeout.TotalSeconds:0} s.", inner: e);
        }
        catch (HttpRequestException e)
        {
            throw new HubException($"The Hub cannot be reached: {e.Message}", inner: e);
        }
        if (response.IsSuccessStatusCode)
        {
            return response;
        }
        var status = response.StatusCode;
        response.Dispose();
        throw status switch
        {
            HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden => new HubException(
                $"The Hub refused access to {repo} ({(int)status}): the repository is gated or private; set Hub:Token to a token that may read it.", status),
            HttpStatusCode.NotFound => new HubException($"{repo} (or that revision or file) does not exist on the Hub.", status),
            _ => new HubException($"The Hub answered {(int)status} {status} for {repo}; try again later.", status),
        };
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Reading {Repo}@{Revision} from the offline folder")]
    private static partial void LogOffline(ILogger logger, string repo, string revision);

    [LoggerMessage(Level = LogLevel.Information, Message = "Resuming the download of {File} at {Have} of {Size} bytes")]
    private static partial void LogResuming(ILogger logger, string file, long have, long size);
}
