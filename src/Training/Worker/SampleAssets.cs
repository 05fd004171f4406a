using Microsoft.Extensions.Logging;
using SkiaSharp;
using TransferHub.Shared.Training;
using TransferHub.Training.Data;
using TransferHub.Training.Strategies;

namespace TransferHub.Training.Worker;

/// <summary>
/// The sample project's material, made on the spot (no download): small images of glyphs (labelled by shape)
/// in colours the sources never saw, and two source models pretrained on related generated tasks — one labelled
/// by shape (its features transfer) and one labelled by colour (its features discard shape: negative transfer).
/// </summary>
public static class SampleAssets
{
    /// <summary>Image side the sample uses for its images, its sources and its experiment.</summary>
    public const int ImageSize = 16;

    /// <summary>Class names of the shape task, in the generator's order.</summary>
    public static readonly IReadOnlyList<string> ShapeNames =
        ["filled square", "hollow square", "plus", "cross", "horizontal bars", "vertical bars", "corner", "triangle"];

    /// <summary>Glyph images as PNG with their shape, in a palette the sources were not pretrained on.</summary>
    public static IReadOnlyList<(string Label, byte[] Png)> ShapeImages(int count, int seed) => Images(count, seed, byShape: true, SyntheticShapes.PaletteB);

    /// <summary>Glyph images as PNG labelled by shape or by colour, in the given palette.</summary>
    private static IReadOnlyList<(string Label, byte[] Png)> Images(int count, int seed, bool byShape, float[][] palette)
    {
        Runtime.TorchRuntime.EnsureLoaded();
        using var data = SyntheticShapes.Generate(count, seed, byShape ? SyntheticLabel.Shape : SyntheticLabel.Colour, palette: palette, size: ImageSize);
        var pixels = data.Inputs.data<float>().ToArray();
        var labels = data.Labels.data<long>().ToArray();
        var plane = ImageSize * ImageSize;
        var images = new List<(string, byte[])>(count);
        for (var i = 0; i < count; i++)
        {
            using var bitmap = new SKBitmap(ImageSize, ImageSize, SKColorType.Rgba8888, SKAlphaType.Opaque);
            for (var y = 0; y < ImageSize; y++)
            {
                for (var x = 0; x < ImageSize; x++)
                {
                    var at = i * 3 * plane + y * ImageSize + x;
                    bitmap.SetPixel(x, y, new SKColor(Byte(pixels[at]), Byte(pixels[at + plane]), Byte(pixels[at + 2 * plane])));
                }
            }
            using var png = bitmap.Encode(SKEncodedImageFormat.Png, 100);
            images.Add((byShape ? ShapeNames[(int)labels[i]] : $"colour {labels[i]}", png.ToArray()));
        }
        return images;
    }

    /// <summary>How many epochs a sample source trains: the colour task is learnt at once.</summary>
    public static int SourceEpochs(bool byShape) => byShape ? 8 : 3;

    /// <summary>
    /// Pretrains a small CNN on a generated task (1 500 images in the source palette, labelled by shape or by colour)
    /// through the same image pipeline as the target (PNG, ImageNet normalisation), and returns its safetensors file.
    /// </summary>
    public static string PretrainSource(bool byShape, string folder, ILogger<Trainer> logger, IProgress<EpochMetrics>? progress, CancellationToken ct)
    {
        var name = byShape ? "shapes" : "colours";
        var images = Path.Combine(folder, name + "-images");
        var index = 0;
        foreach (var (label, png) in Images(1500, byShape ? 100 : 200, byShape, SyntheticShapes.PaletteA))
        {
            var classFolder = Path.Combine(images, label);
            Directory.CreateDirectory(classFolder);
            File.WriteAllBytes(Path.Combine(classFolder, $"{index++}.png"), png);
        }
        var spec = new TrainingJobSpec("small-cnn", TrainingStrategy.Baseline, Seed: 7, Epochs: SourceEpochs(byShape), BatchSize: 64,
            LearningRate: 3e-3, Patience: 0, Device: "cpu");
        return LocalTraining.Run(images, spec, ImageSize, Path.Combine(folder, name), Path.Combine(folder, "cache"), logger, progress, null, ct).ModelPath;
    }

    // Generated values are around 0..1.3 (glyph over noise): clamp into a byte.
    private static byte Byte(float value) => (byte)Math.Clamp((int)MathF.Round(value * 255f), 0, 255);
}
