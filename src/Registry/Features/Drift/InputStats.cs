using SkiaSharp;

namespace TransferHub.Registry.Features.Drift;

/// <summary>Cheap statistics of an input, logged with each prediction and compared by the drift monitor.</summary>
public static class InputStats
{
    /// <summary>
    /// Size and mean brightness (0–1, Rec. 601 luma) of an encoded image; null when it does not decode completely (a
    /// truncated or damaged file is not an image to predict on). Images over <paramref name="maxPixels"/> are measured from
    /// their header only (brightness NaN) and never decoded.
    /// </summary>
    public static (int Width, int Height, double Brightness)? Image(byte[] encoded, long maxPixels = long.MaxValue)
    {
        // SKBitmap.Decode throws on bytes no codec claims; asking for a codec first turns that into "not an image".
        using var data = SKData.CreateCopy(encoded);
        using var codec = SKCodec.Create(data);
        if (codec is not null && (long)codec.Info.Width * codec.Info.Height > maxPixels)
        {
            return (codec.Info.Width, codec.Info.Height, double.NaN);
        }
        if (codec is null || codec.Info.Width <= 0 || codec.Info.Height <= 0)
        {
            return null;
        }
        using var bitmap = new SKBitmap(new SKImageInfo(codec.Info.Width, codec.Info.Height, SKColorType.Rgba8888, SKAlphaType.Premul));
        if (codec.GetPixels(bitmap.Info, bitmap.GetPixels()) != SKCodecResult.Success)
        {
            return null; // Skia would fill the missing rows with grey and call it an image
        }
        // A sample grid keeps this O(1) in the image size.
        var stepX = Math.Max(1, bitmap.Width / 64);
        var stepY = Math.Max(1, bitmap.Height / 64);
        double sum = 0;
        var count = 0;
        for (var y = 0; y < bitmap.Height; y += stepY)
        {
            for (var x = 0; x < bitmap.Width; x += stepX)
            {
                var c = bitmap.GetPixel(x, y);
                sum += (0.299 * c.Red + 0.587 * c.Green + 0.114 * c.Blue) / 255.0;
                count++;
            }
        }
        return (bitmap.Width, bitmap.Height, count == 0 ? 0 : sum / count);
    }

    public static string EncodeEmbedding(float[] embedding) =>
        Convert.ToBase64String(System.Runtime.InteropServices.MemoryMarshal.AsBytes(embedding.AsSpan()));

    public static float[] DecodeEmbedding(string base64) =>
        System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(Convert.FromBase64String(base64)).ToArray();
}
