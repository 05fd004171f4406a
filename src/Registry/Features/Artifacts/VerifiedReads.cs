using System.Security.Cryptography;

namespace TransferHub.Registry.Features.Artifacts;

public static class VerifiedReads
{
    /// <summary>An artifact's bytes with the SHA-256 they hash to, so a caller can compare it with the one it recorded.</summary>
    /// <exception cref="ArtifactNotFoundException">No artifact under <paramref name="key"/>.</exception>
    public static async Task<(byte[] Bytes, string Sha256)> ReadHashedAsync(this IArtifactStore store, string key, CancellationToken ct)
    {
        var bytes = await store.ReadAllAsync(key, ct);
        return (bytes, Convert.ToHexStringLower(SHA256.HashData(bytes)));
    }

    /// <summary>An artifact's bytes, whole (weights, an item's image: small enough to hold).</summary>
    /// <exception cref="ArtifactNotFoundException">No artifact under <paramref name="key"/>.</exception>
    public static async Task<byte[]> ReadAllAsync(this IArtifactStore store, string key, CancellationToken ct)
    {
        using var buffer = new MemoryStream();
        await using (var stream = await store.OpenReadAsync(key, ct))
        {
            await stream.CopyToAsync(buffer, ct);
        }
        return buffer.ToArray();
    }

    /// <summary>Whether two hex SHA-256 digests are the same (case aside).</summary>
    public static bool SameSha256(string actual, string recorded) => string.Equals(actual, recorded, StringComparison.OrdinalIgnoreCase);
}
