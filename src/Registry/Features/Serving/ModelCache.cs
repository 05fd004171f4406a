using System.Collections.Concurrent;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using TransferHub.Registry.Features.Artifacts;
using TransferHub.Registry.Features.Models;
using TransferHub.Shared.Common;
using TransferHub.Shared.Registry;
using TransferHub.Shared.Training;

namespace TransferHub.Registry.Features.Serving;

/// <summary>Refused when an artifact's bytes no longer match the SHA-256 recorded at registration.</summary>
public sealed class ArtifactIntegrityException(string message) : AppException(message)
{
    public override int StatusCode => StatusCodes.Status409Conflict;
    public override string Title => "Artifact integrity check failed";
}

/// <summary>Refused on a host without libtorch (a serving-only node) for a version it can only load with TorchSharp.</summary>
public sealed class EngineUnavailableException(string message) : AppException(message)
{
    public override int StatusCode => StatusCodes.Status503ServiceUnavailable;
    public override string Title => "This node cannot load the model";
}

/// <summary>A version's ONNX export stored at registration, and its SHA-256.</summary>
public sealed record StoredOnnx(string Key, string Sha256);

/// <summary>
/// Loaded models by version id. A version's weights are verified against their recorded SHA-256 before
/// loading; serving with ONNX Runtime, a version with a stored ONNX export loads that file (no libtorch). Evicting a version (production moved on) disposes it once the predictions holding it finish.
/// At most <c>Registry:MaxLoadedModels</c> (4) stay loaded: another web node, which never hears of a promotion made
/// elsewhere, lets its old version go this way once the alias (resolved per call) has moved on.
/// </summary>
public sealed partial class ModelCache(IArtifactStore artifacts, IModelLoader loader, IOptions<RegistryOptions> options, ILogger<ModelCache> logger) : IDisposable
{
    private readonly ConcurrentDictionary<Guid, Lazy<Task<Entry>>> _entries = new();
    private readonly int _capacity = options.Value.MaxLoadedModels;
    private readonly bool _onnxRuntime = options.Value.ServingRuntime == ServingRuntime.OnnxRuntime;

    /// <summary>The loaded model of a registered version; dispose the lease when done predicting.</summary>
    public Task<Lease> AcquireAsync(ModelVersion version, CancellationToken ct) =>
        AcquireAsync(version.Id, version.ArtifactKey, version.Sha256, ct,
            version is { OnnxArtifactKey: { } key, OnnxSha256: { } sha } ? new StoredOnnx(key, sha) : null);

    /// <summary>The loaded model of a version; dispose the lease when done predicting.</summary>
    public async Task<Lease> AcquireAsync(Guid versionId, string artifactKey, string sha256, CancellationToken ct, StoredOnnx? onnx = null)
    {
        // Serving with ONNX Runtime, a stored export is loaded as it is; without one the weights are exported at load.
        var stored = _onnxRuntime ? onnx : null;
        while (true)
        {
            var lazy = _entries.GetOrAdd(versionId, id => new Lazy<Task<Entry>>(() => LoadAsync(id, artifactKey, sha256, stored)));
            Entry entry;
            try
            {
                entry = await lazy.Value.WaitAsync(ct);
            }
            catch (Exception) when (!ct.IsCancellationRequested)
            {
                // A failed load is not cached: the next call tries again (and is refused again if the artifact is still wrong).
                _entries.TryRemove(new KeyValuePair<Guid, Lazy<Task<Entry>>>(versionId, lazy));
                throw;
            }
            if (entry.TryAcquire())
            {
                TrimTo(_capacity, keep: versionId);
                return new Lease(entry);
            }
            // Evicted between lookup and acquire: load afresh.
            _entries.TryRemove(new KeyValuePair<Guid, Lazy<Task<Entry>>>(versionId, lazy));
        }
    }

    /// <summary>Evicts the least recently used models beyond the capacity (never <paramref name="keep"/>).</summary>
    private void TrimTo(int capacity, Guid keep)
    {
        var loaded = _entries.Where(e => e.Key != keep && e.Value.IsValueCreated && e.Value.Value.IsCompletedSuccessfully)
            .Select(e => (Id: e.Key, e.Value.Value.Result.LastUsed)).OrderBy(e => e.LastUsed).ToList();
        foreach (var (id, _) in loaded.Take(Math.Max(0, loaded.Count + 1 - capacity)))
        {
            Evict(id);
        }
    }

    public bool IsLoaded(Guid versionId) => _entries.TryGetValue(versionId, out var lazy) && lazy.IsValueCreated && lazy.Value.IsCompletedSuccessfully;

    /// <summary>Drops a version's model; in-flight predictions finish on it, then it is disposed.</summary>
    public void Evict(Guid versionId)
    {
        if (_entries.TryRemove(versionId, out var lazy) && lazy.IsValueCreated && lazy.Value.IsCompletedSuccessfully)
        {
            lazy.Value.Result.Retire();
        }
    }

    private async Task<Entry> LoadAsync(Guid versionId, string artifactKey, string sha256, StoredOnnx? onnx)
    {
        // One load serves every caller waiting on it: a caller that gives up must not fail the others' load.
        var bytes = await ReadVerifiedAsync(versionId, onnx?.Key ?? artifactKey, onnx?.Sha256 ?? sha256, onnx is null ? "weights" : "ONNX export");
        ILoadedModel model;
        try
        {
            model = await Task.Run(() => onnx is null ? loader.Load(bytes) : loader.LoadOnnx(bytes));
        }
        catch (Exception e) when (NoLibTorch.Caused(e))
        {
            throw new EngineUnavailableException("This node has no libtorch (a serving-only host): it serves versions from the ONNX export stored at registration, "
                + "with Registry:ServingRuntime=OnnxRuntime. This version has none yet (registered before exports were stored: the next node with the training engine to "
                + "start stores it; or its export failed its check at registration): serve it from a node with the training engine.");
        }
        LogLoaded(logger, versionId, model.Architecture, onnx is null ? "weights" : "stored ONNX export");
        return new Entry(model);
    }

    private async Task<byte[]> ReadVerifiedAsync(Guid versionId, string key, string sha256, string what)
    {
        var (bytes, actual) = await artifacts.ReadHashedAsync(key, CancellationToken.None);
        if (!VerifiedReads.SameSha256(actual, sha256))
        {
            LogTampered(logger, versionId, sha256, actual);
            throw new ArtifactIntegrityException($"The {what} of this version do not match the SHA-256 recorded at registration ({sha256[..12]}…); refusing to load them.");
        }
        return bytes;
    }

    public void Dispose()
    {
        foreach (var id in _entries.Keys)
        {
            Evict(id);
        }
    }

    /// <summary>Reference-counted model: disposed when retired and no lease holds it.</summary>
    internal sealed class Entry(ILoadedModel model)
    {
        private int _leases;
        private bool _retired;
        // A use counter rather than a clock: two uses in the same millisecond still have an order.
        private static long s_uses;
        private long _lastUsed = Interlocked.Increment(ref s_uses);
        private readonly Lock _gate = new();
        public ILoadedModel Model { get; } = model;
        public long LastUsed => Interlocked.Read(ref _lastUsed);

        public bool TryAcquire()
        {
            lock (_gate)
            {
                if (_retired)
                {
                    return false;
                }
                _leases++;
                Interlocked.Exchange(ref _lastUsed, Interlocked.Increment(ref s_uses));
                return true;
            }
        }

        public void Release()
        {
            lock (_gate)
            {
                if (--_leases == 0 && _retired)
                {
                    Model.Dispose();
                }
            }
        }

        public void Retire()
        {
            lock (_gate)
            {
                _retired = true;
                if (_leases == 0)
                {
                    Model.Dispose();
                }
            }
        }
    }

    public sealed class Lease : IDisposable
    {
        private Entry? _entry;

        internal Lease(Entry entry) => _entry = entry;

        public ILoadedModel Model => (_entry ?? throw new ObjectDisposedException(nameof(Lease))).Model;

        public void Dispose() => Interlocked.Exchange(ref _entry, null)?.Release();
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Model version {VersionId}: artifact SHA-256 is {Actual}, registered {Expected}; refused to load")]
    private static partial void LogTampered(ILogger logger, Guid versionId, string expected, string actual);

    [LoggerMessage(Level = LogLevel.Information, Message = "Loaded model version {VersionId} ({Architecture}) from its {Source}")]
    private static partial void LogLoaded(ILogger logger, Guid versionId, string architecture, string source);
}
