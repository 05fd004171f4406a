using SkiaSharp;

namespace TransferHub.Web.Features.Datasets.Import;

/// <summary>The outcome of reading an uploaded image: what it really is, or why it was refused.</summary>
public sealed record InspectedImage(string ContentType, string Extension, int Width, int Height, byte[] Thumbnail, string? Warning);

/// <summary>
/// Reads images with Skia: the header first (so a decompression bomb is refused before any pixel is
/// decoded), then the pixels (so a truncated file is refused), then a small JPEG thumbnail.
/// </summary>
public static class ImageInspector
{
    public const long MaxPixels = 40_000_000;
    public const int ThumbnailSize = 256;

    private static readonly Dictionary<SKEncodedImageFormat, (string Type, string Ext)> Supported = new()
    {
        [SKEncodedImageFormat.Png] = ("image/png", ".png"),
        [SKEncodedImageFormat.Jpeg] = ("image/jpeg", ".jpg"),
        [SKEncodedImageFormat.Webp] = ("image/webp", ".webp"),
        [SKEncodedImageFormat.Bmp] = ("image/bmp", ".bmp"),
        [SKEncodedImageFormat.Gif] = ("image/gif", ".gif"),
    };

    /// <summary>Returns the image's facts, or throws <see cref="RejectedFileException"/> with a message for the import report.</summary>
    public static InspectedImage Inspect(string fileName, byte[] bytes)
    {
        if (bytes.Length == 0)
        {
            throw new RejectedFileException($"{fileName}: the file is empty.");
        }
        using var data = SKData.CreateCopy(bytes);
        using var codec = SKCodec.Create(data)
            ?? throw new RejectedFileException($"{fileName}: not a readable image (supported: PNG, JPEG, WebP, BMP, GIF).");
        if (!Supported.TryGetValue(codec.EncodedFormat, out var format))
        {
            throw new RejectedFileException($"{fileName}: {codec.EncodedFormat} images are not supported (PNG, JPEG, WebP, BMP, GIF are).");
        }
        var (width, height) = (codec.Info.Width, codec.Info.Height);
        if ((long)width * height > MaxPixels)
        {
            throw new RejectedFileException($"{fileName}: {width}×{height} pixels is over the limit of {MaxPixels / 1_000_000} megapixels.");
        }
        // Decode the first frame fully; an incomplete file is refused rather than stored half grey.
        var info = new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Premul);
        using var bitmap = new SKBitmap(info);
        var result = codec.GetPixels(info, bitmap.GetPixels());
        if (result != SKCodecResult.Success)
        {
            throw new RejectedFileException($"{fileName}: the image is damaged or truncated ({result}).");
        }
        var extension = Path.GetExtension(fileName).ToLowerInvariant();
        var claimed = extension is ".jpeg" ? ".jpg" : extension;
        var warning = claimed.Length > 0 && claimed != format.Ext
            ? $"{fileName}: named {extension} but is a {format.Ext.TrimStart('.').ToUpperInvariant()}; imported as what it is."
            : null;
        return new InspectedImage(format.Type, format.Ext, width, height, Thumbnail(bitmap), warning);
    }

    private static byte[] Thumbnail(SKBitmap bitmap)
    {
        var scale = Math.Min(1.0, (double)ThumbnailSize / Math.Max(bitmap.Width, bitmap.Height));
        var size = new SKImageInfo(Math.Max(1, (int)(bitmap.Width * scale)), Math.Max(1, (int)(bitmap.Height * scale)));
        using var resized = bitmap.Resize(size, SKFilterQuality.Medium) ?? bitmap.Copy();
        using var image = SKImage.FromBitmap(resized);
        using var encoded = image.Encode(SKEncodedImageFormat.Jpeg, 85);
        return encoded.ToArray();
    }
}

/// <summary>One uploaded file or row that cannot become an item; the message goes to the import report.</summary>
public sealed class RejectedFileException(string message) : Exception(message);
