using SkiaSharp;

namespace TransferHub.Tests.Unit;

/// <summary>The one writer of test images: a solid colour, encoded as PNG (or the format asked for).</summary>
public static class TestImages
{
    public static byte[] Solid(int width, int height, SKColor color, SKEncodedImageFormat format = SKEncodedImageFormat.Png, int quality = 90)
    {
        using var bitmap = new SKBitmap(width, height);
        bitmap.Erase(color);
        using var image = SKImage.FromBitmap(bitmap);
        using var encoded = image.Encode(format, quality);
        return encoded.ToArray();
    }
}
