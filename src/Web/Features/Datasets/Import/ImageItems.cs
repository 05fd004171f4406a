using TransferHub.Registry.Features.Artifacts;

namespace TransferHub.Web.Features.Datasets.Import;

/// <summary>An image's bytes and thumbnail stored for a new item, whether it came from an import or from production traffic.</summary>
public static class ImageItems
{
    /// <summary>
    /// Stores under content-addressed keys (the same image in two datasets is stored once, a retry rewrites the same bytes)
    /// and fills the item's image fields.
    /// </summary>
    public static async Task StoreAsync(IArtifactStore artifacts, Item item, string hash, byte[] bytes, InspectedImage image, CancellationToken ct)
    {
        var blobKey = $"items/{hash[..2]}/{hash}{image.Extension}";
        await artifacts.PutAsync(blobKey, new MemoryStream(bytes), ct);
        var thumbKey = $"thumbnails/{hash[..2]}/{hash}.jpg";
        await artifacts.PutAsync(thumbKey, new MemoryStream(image.Thumbnail), ct);
        item.BlobKey = blobKey;
        item.ThumbnailKey = thumbKey;
        item.ContentType = image.ContentType;
        item.Width = image.Width;
        item.Height = image.Height;
        item.SizeBytes = bytes.Length;
    }
}
