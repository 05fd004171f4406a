using static TorchSharp.torch;

namespace TransferHub.Training.Data;

// What a synthetic image is labelled by.
public enum SyntheticLabel { Shape, Colour }

// Seeded synthetic image tasks (3×size×size): one small glyph of a given shape and colour at a random place on
// a noisy background. Labelling by shape or by colour gives related and unrelated source/target pairs for
// transfer tests, demos and benchmarks without any dataset download.
public static class SyntheticShapes
{
    public const int ShapeCount = 8;
    private const int Glyph = 6;

    // Two palettes so a target can differ from its source in colour as well.
    public static readonly float[][] PaletteA = [[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 0], [1, 0, 1], [0, 1, 1]];
    public static readonly float[][] PaletteB = [[1, .5f, 0], [.5f, 0, 1], [.9f, .9f, .9f], [0, .5f, .5f], [.6f, .3f, .1f], [.3f, .8f, .3f]];

    public static LabeledTensors Generate(
        int count, int seed, SyntheticLabel label, IReadOnlyList<int>? shapes = null, float[][]? palette = null,
        int size = 16, float noise = 0.15f)
    {
        shapes ??= Enumerable.Range(0, ShapeCount).ToArray();
        palette ??= PaletteA;
        var random = new Random(seed);
        var pixels = new float[count * 3 * size * size];
        var labels = new long[count];
        for (var i = 0; i < count; i++)
        {
            var shapeIndex = random.Next(shapes.Count);
            var colourIndex = random.Next(palette.Length);
            labels[i] = label == SyntheticLabel.Shape ? shapeIndex : colourIndex;
            var top = random.Next(size - Glyph + 1);
            var left = random.Next(size - Glyph + 1);
            var intensity = 0.7f + 0.6f * (float)random.NextDouble();
            var image = pixels.AsSpan(i * 3 * size * size, 3 * size * size);
            for (var j = 0; j < image.Length; j++) image[j] = noise * Gaussian(random);
            for (var y = 0; y < Glyph; y++)
                for (var x = 0; x < Glyph; x++)
                    if (Inside(shapes[shapeIndex], y, x))
                        for (var c = 0; c < 3; c++)
                            image[c * size * size + (top + y) * size + left + x] += intensity * palette[colourIndex][c];
        }
        var classes = label == SyntheticLabel.Shape ? shapes.Count : palette.Length;
        return new LabeledTensors(tensor(pixels, [count, 3, size, size]), tensor(labels), classes);
    }

    private static bool Inside(int shape, int y, int x) => shape switch
    {
        0 => true,                                            // filled square
        1 => y == 0 || x == 0 || y == Glyph - 1 || x == Glyph - 1, // hollow square
        2 => y is 2 or 3 || x is 2 or 3,                       // plus
        3 => y == x || y == Glyph - 1 - x,                     // X
        4 => y is 1 or 4,                                      // two horizontal bars
        5 => x is 1 or 4,                                      // two vertical bars
        6 => y == Glyph - 1 || x == 0,                         // L
        7 => y <= x,                                           // triangle
        _ => throw new ArgumentOutOfRangeException(nameof(shape)),
    };

    private static float Gaussian(Random random)
    {
        var u1 = 1.0 - random.NextDouble();
        var u2 = random.NextDouble();
        return (float)(Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2));
    }
}
