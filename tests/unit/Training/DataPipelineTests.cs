using SkiaSharp;
using TransferHub.Shared.Training;
using TransferHub.Training.Data;
using TransferHub.Training.Runtime;
using static TorchSharp.torch;

namespace TransferHub.Tests.Unit.Training;

[Collection(TorchCollection.Name)]
public sealed class DataPipelineTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("th-data-").FullName;

    public DataPipelineTests() => TorchRuntime.EnsureLoaded();

    [Fact]
    public void ImageFolderDecodesResizesNormalisesAndCaches()
    {
        WritePng(Path.Combine(folder, "images", "blue"), "a.png", SKColors.Blue, 20);
        WritePng(Path.Combine(folder, "images", "red"), "a.png", SKColors.Red, 12);
        WritePng(Path.Combine(folder, "images", "red"), "b.jpg", SKColors.Red, 12, SKEncodedImageFormat.Jpeg);
        var cache = Path.Combine(folder, "cache");

        using var data = ImageFolder.LoadCached(Path.Combine(folder, "images"), 8, cache);
        using var again = ImageFolder.LoadCached(Path.Combine(folder, "images"), 8, cache);

        data.Inputs.shape.ShouldBe([3L, 3, 8, 8]);
        data.Labels.data<long>().ToArray().ShouldBe([0L, 1, 1]); // classes in ordinal order: blue, red
        data.Inputs[0, 2, 4, 4].item<float>().ShouldBe((1 - 0.406f) / 0.225f, 1e-4); // blue channel of blue, normalised
        data.Inputs[1, 0, 4, 4].item<float>().ShouldBe((1 - 0.485f) / 0.229f, 1e-4);
        Directory.GetFiles(cache).Length.ShouldBe(1);
        (again.Inputs - data.Inputs).abs().max().item<float>().ShouldBe(0f);
    }

    [Theory]
    [InlineData("text-bag")]
    [InlineData("text-cnn")]
    public void TextModelsLearnKeywordClassesFromJsonl(string architecture)
    {
        var path = Path.Combine(folder, "reviews.jsonl");
        var random = new Random(5);
        string[] good = ["great", "excellent", "lovely", "superb"], bad = ["awful", "broken", "terrible", "poor"], filler = ["the", "item", "was", "really", "and", "shipping"];
        File.WriteAllLines(path, Enumerable.Range(0, 300).Select(i =>
        {
            var positive = i % 2 == 0;
            var words = Enumerable.Range(0, 6).Select(_ => filler[random.Next(filler.Length)]).ToList();
            words.Insert(random.Next(words.Count), (positive ? good : bad)[random.Next(4)]);
            return $"{{\"text\": \"{string.Join(' ', words)}\", \"label\": \"{(positive ? "pos" : "neg")}\"}}";
        }));

        using var all = JsonlText.Load(path);
        using var splits = DataSplits.Split(all, 0.2, 0.2, seed: 1);
        var spec = new TrainingJobSpec(architecture, TrainingStrategy.Baseline, Seed: 1, Epochs: 15, BatchSize: 16, LearningRate: 1e-2, Patience: 0);
        var result = TrainingHarness.Run(spec, splits);

        all.NumClasses.ShouldBe(2);
        result.Test.Accuracy.ShouldBeGreaterThan(0.9);
    }

    [Fact]
    public void AugmentationKeepsShapeAndIsSeeded()
    {
        using var images = arange(2 * 3 * 8 * 8).reshape(2, 3, 8, 8).to(ScalarType.Float32);

        using var a = Augmentation.CropAndFlip(images, new Generator(9));
        using var b = Augmentation.CropAndFlip(images, new Generator(9));

        a.shape.ShouldBe(images.shape);
        (a - b).abs().max().item<float>().ShouldBe(0f);
    }

    [Fact]
    public void ClassWeightsAreInverseFrequencyWithMeanOne()
    {
        using var data = new LabeledTensors(zeros(4, 1), tensor(new long[] { 0, 0, 0, 1 }), 2);

        using var weights = data.ClassWeights();

        weights.data<float>().ToArray().ShouldBe([0.5f, 1.5f], tolerance: 1e-6);
    }

    public void Dispose() => Directory.Delete(folder, recursive: true);

    private static void WritePng(string dir, string name, SKColor colour, int size, SKEncodedImageFormat format = SKEncodedImageFormat.Png)
    {
        Directory.CreateDirectory(dir);
        File.WriteAllBytes(Path.Combine(dir, name), TestImages.Solid(size, size, colour, format, quality: 100));
    }
}
