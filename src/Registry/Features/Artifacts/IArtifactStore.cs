namespace TransferHub.Registry.Features.Artifacts;

/// <summary>A stored artifact: its key, size in bytes and SHA-256 (lower-case hex).</summary>
public sealed record ArtifactInfo(string Key, long Size, string Sha256);

/// <summary>
/// Where model weights, checkpoints and uploaded files live. Keys are relative, '/'-separated paths
/// (see <see cref="ArtifactKey"/>). Writes are all-or-nothing: a failed or cancelled upload leaves no artifact.
/// </summary>
public interface IArtifactStore
{
    /// <summary>Stores <paramref name="content"/> under <paramref name="key"/>, replacing what was there.</summary>
    Task<ArtifactInfo> PutAsync(string key, Stream content, CancellationToken ct);

    /// <summary>Opens an artifact for reading; throws <see cref="ArtifactNotFoundException"/> when absent.</summary>
    Task<Stream> OpenReadAsync(string key, CancellationToken ct);

    /// <summary>The artifact's info, or null when absent.</summary>
    Task<ArtifactInfo?> GetInfoAsync(string key, CancellationToken ct);

    /// <summary>Deletes an artifact; true when it existed.</summary>
    Task<bool> DeleteAsync(string key, CancellationToken ct);

    /// <summary>Every artifact whose key starts with <paramref name="prefix"/>, in key order.</summary>
    IAsyncEnumerable<ArtifactInfo> ListAsync(string prefix, CancellationToken ct);

    /// <summary>Throws when the store cannot be reached or written; used by /health.</summary>
    Task CheckHealthAsync(CancellationToken ct);
}

/// <summary>Thrown when an artifact key names nothing.</summary>
public sealed class ArtifactNotFoundException(string key) : Exception($"Artifact '{key}' does not exist.")
{
    /// <summary>The missing key.</summary>
    public string Key { get; } = key;
}
