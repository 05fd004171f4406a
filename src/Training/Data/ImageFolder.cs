using System.Runtime.InteropServices;
using SkiaSharp;
using static TorchSharp.torch;

namespace TransferHub.Training.Data;

// torchvision-style ImageFolder: root/<class>/*.png|jpg|…, classes in ordinal order. Images are decoded,
// resized to size×size and normalised with the ImageNet mean/std (what torchvision weights expect), then held as
// one tensor; LoadCached keeps that tensor on disk so later runs skip decoding.
public static class ImageFolder
{
    private static readonly string[] Extensions = [".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp"];
    private static readonly float[] Mean = [0.485f, 0.456f, 0.406f];
    private static readonly float[] Std = [0.229f, 0.224f, 0.225f];

    public static IReadOnlyList<string> ClassNames(string root) =>
        Directory.GetDirectories(root).Select(Path.GetFileName).OfType<string>()
            .Where(n => !n.StartsWith('.')).Order(StringComparer.Ordinal).ToList();

    public static LabeledTensors Load(string root, int size, IReadOnlyList<string>? classes = null)
    {
        classes ??= ClassNames(root);
        if (classes.Count == 0) throw new InvalidDataException($"'{root}' has no class folders (expected root/<class>/<image>).");
        var files = classes
            .SelectMany((name, label) => EnumerateImages(Path.Combine(root, name)).Select(f => (File: f, Label: label)))
            .ToList(); // the order of Files
        if (files.Count == 0) throw new InvalidDataException($"'{root}' contains no images ({string.Join(", ", Extensions)}).");

        var plane = size * size;
        var pixels = new float[files.Count * 3 * plane];
        Parallel.For(0, files.Count, i => Decode(files[i].File, size, pixels.AsSpan(i * 3 * plane, 3 * plane)));
        return new LabeledTensors(
            tensor(pixels, [files.Count, 3, size, size]),
            tensor(files.Select(f => (long)f.Label).ToArray()),
            classes.Count);
    }

    // Like Load, with the decoded tensors cached in cacheDir keyed by the file list.
    public static LabeledTensors LoadCached(string root, int size, string cacheDir, IReadOnlyList<string>? classes = null)
    {
        classes ??= ClassNames(root);
        var listing = string.Join("\n", classes.SelectMany(c => EnumerateImages(Path.Combine(root, c))
            .Select(f => $"{c}/{Path.GetFileName(f)}:{new FileInfo(f).Length}:{File.GetLastWriteTimeUtc(f).Ticks}")));
        var key = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes($"{size}\n{listing}")))[..16];
        var path = Path.Combine(cacheDir, $"imagefolder-{key}.safetensors");
        if (File.Exists(path))
        {
            var cached = Weights.SafeTensors.Read(path);
            return new LabeledTensors(cached["inputs"], cached["labels"], classes.Count);
        }
        var data = Load(root, size, classes);
        Directory.CreateDirectory(cacheDir);
        // A private temporary name: two workers sharing the cache may write the same entry at once.
        var temporary = $"{path}.{Guid.NewGuid():N}.tmp";
        Weights.SafeTensors.Write(temporary, [new("inputs", data.Inputs), new("labels", data.Labels)]);
        File.Move(temporary, path, overwrite: true);
        return data;
    }

    /// <summary>The image files of a folder of classes, in the order <see cref="Load"/> reads them.</summary>
    public static IReadOnlyList<string> Files(string root, IReadOnlyList<string> classes) =>
        [.. classes.SelectMany(c => EnumerateImages(Path.Combine(root, c)))];

    private static IEnumerable<string> EnumerateImages(string folder) =>
        Directory.EnumerateFiles(folder)
            .Where(f => Extensions.Contains(Path.GetExtension(f), StringComparer.OrdinalIgnoreCase))
            .Order(StringComparer.Ordinal);

    private static void Decode(string file, int size, Span<float> chw)
    {
        using var decoded = SKBitmap.Decode(file) ?? throw new InvalidDataException($"Cannot decode image '{file}'.");
        Normalise(decoded, file, size, chw);
    }

    // Serving decodes uploaded bytes with exactly the preprocessing training used; a truncated or damaged image is refused.
    public static void Decode(byte[] encoded, int size, Span<float> chw)
    {
        using var data = SKData.CreateCopy(encoded);
        using var codec = SKCodec.Create(data) ?? throw new InvalidDataException("The image cannot be decoded.");
        using var decoded = new SKBitmap(new SKImageInfo(codec.Info.Width, codec.Info.Height, SKColorType.Rgba8888, SKAlphaType.Premul));
        if (codec.GetPixels(decoded.Info, decoded.GetPixels()) != SKCodecResult.Success)
            throw new InvalidDataException("The image is damaged or truncated.");
        Normalise(decoded, "input", size, chw);
    }

    private static void Normalise(SKBitmap decoded, string file, int size, Span<float> chw)
    {
        using var resized = decoded.Resize(new SKImageInfo(size, size, SKColorType.Rgba8888, SKAlphaType.Unpremul), SKFilterQuality.Medium)
                            ?? throw new InvalidDataException($"Cannot resize image '{file}'.");
        var rgba = MemoryMarshal.AsBytes(resized.GetPixelSpan());
        var plane = size * size;
        for (var p = 0; p < plane; p++)
            for (var c = 0; c < 3; c++)
                chw[c * plane + p] = (rgba[p * 4 + c] / 255f - Mean[c]) / Std[c];
    }
}
