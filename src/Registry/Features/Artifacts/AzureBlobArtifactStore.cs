using System.Buffers;
using System.Runtime.CompilerServices;
using System.Text;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;

namespace TransferHub.Registry.Features.Artifacts;

/// <summary>
/// Artifacts as block blobs in one container. Blocks are staged and committed in one call with the
/// SHA-256 as metadata, so an interrupted upload never becomes a visible blob.
/// </summary>
public sealed class AzureBlobArtifactStore(BlobContainerClient container) : IArtifactStore
{
    private const string HashMetadata = "sha256";
    private const int BlockSize = 4 * 1024 * 1024;
    private readonly SemaphoreSlim _createLock = new(1, 1);
    private volatile bool _containerReady;

    public async Task<ArtifactInfo> PutAsync(string key, Stream content, CancellationToken ct)
    {
        var blob = await BlobAsync(key, ct);
        var blockIds = new List<string>();
        using var hashing = new HashingStream(content);
        var buffer = ArrayPool<byte>.Shared.Rent(BlockSize);
        try
        {
            int filled;
            while ((filled = await FillAsync(hashing, buffer, ct)) > 0)
            {
                var id = Convert.ToBase64String(Encoding.ASCII.GetBytes(blockIds.Count.ToString("D8")));
                using var block = new MemoryStream(buffer, 0, filled, writable: false);
                await blob.StageBlockAsync(id, block, cancellationToken: ct);
                blockIds.Add(id);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
        var info = new ArtifactInfo(key, hashing.BytesRead, hashing.Sha256Hex());
        await blob.CommitBlockListAsync(blockIds, new CommitBlockListOptions
        {
            Metadata = new Dictionary<string, string> { [HashMetadata] = info.Sha256 },
        }, ct);
        return info;
    }

    public async Task<Stream> OpenReadAsync(string key, CancellationToken ct)
    {
        var blob = await BlobAsync(key, ct);
        try
        {
            var response = await blob.DownloadStreamingAsync(cancellationToken: ct);
            return response.Value.Content;
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            throw new ArtifactNotFoundException(key);
        }
    }

    public async Task<ArtifactInfo?> GetInfoAsync(string key, CancellationToken ct)
    {
        var blob = await BlobAsync(key, ct);
        try
        {
            var props = (await blob.GetPropertiesAsync(cancellationToken: ct)).Value;
            return new ArtifactInfo(key, props.ContentLength, props.Metadata.TryGetValue(HashMetadata, out var h) ? h : "");
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return null;
        }
    }

    public async Task<bool> DeleteAsync(string key, CancellationToken ct)
    {
        var blob = await BlobAsync(key, ct);
        return (await blob.DeleteIfExistsAsync(cancellationToken: ct)).Value;
    }

    public async IAsyncEnumerable<ArtifactInfo> ListAsync(string prefix, [EnumeratorCancellation] CancellationToken ct)
    {
        ArtifactKey.ValidatePrefix(prefix);
        await EnsureContainerAsync(ct);
        var options = new GetBlobsOptions { Traits = BlobTraits.Metadata, Prefix = prefix.Length == 0 ? null : prefix };
        await foreach (var item in container.GetBlobsAsync(options, ct))
        {
            var hash = item.Metadata.TryGetValue(HashMetadata, out var h) ? h : "";
            yield return new ArtifactInfo(item.Name, item.Properties.ContentLength ?? 0, hash);
        }
    }

    public async Task CheckHealthAsync(CancellationToken ct)
    {
        await EnsureContainerAsync(ct);
        await container.GetPropertiesAsync(cancellationToken: ct);
    }

    private async Task<BlockBlobClient> BlobAsync(string key, CancellationToken ct)
    {
        ArtifactKey.Validate(key);
        await EnsureContainerAsync(ct);
        return container.GetBlockBlobClient(key);
    }

    private async Task EnsureContainerAsync(CancellationToken ct)
    {
        if (_containerReady)
        {
            return;
        }
        await _createLock.WaitAsync(ct);
        try
        {
            if (!_containerReady)
            {
                await container.CreateIfNotExistsAsync(cancellationToken: ct);
                _containerReady = true;
            }
        }
        finally
        {
            _createLock.Release();
        }
    }

    private static async Task<int> FillAsync(Stream source, byte[] buffer, CancellationToken ct)
    {
        var total = 0;
        while (total < BlockSize)
        {
            var n = await source.ReadAsync(buffer.AsMemory(total, BlockSize - total), ct);
            if (n == 0)
            {
                break;
            }
            total += n;
        }
        return total;
    }
}
