using TransferHub.Training.Models;
using TransferHub.Training.Runtime;
using TransferHub.Training.Serving;
using TransferHub.Training.Weights;
using static TorchSharp.torch;

namespace TransferHub.Tests.Unit.Training.Onnx;

[Collection(TorchCollection.Name)]
public sealed class OnnxRuntimeServingTests
{
    private static byte[] Weights(string architecture, int classes)
    {
        using var model = GlobalRandom.Create(5, () => ModelRegistry.Create(architecture, classes));
        var path = Path.Combine(Path.GetTempPath(), $"th-{Guid.NewGuid():N}.safetensors");
        ModelWeights.Export(model, architecture, path);
        var bytes = File.ReadAllBytes(path);
        File.Delete(path);
        return bytes;
    }

    [Theory]
    [InlineData("small-cnn", 20)]
    [InlineData("resnet18", 40)]
    [InlineData("efficientnet-b0", 32)]
    public void OnnxRuntimeServesTheSameProbabilitiesAndFeaturesAsTorchSharp(string architecture, int size)
    {
        var weights = Weights(architecture, 3);
        using var torch = new PredictorLoader().Load(weights);
        using var onnx = new PredictorLoader(onnxRuntime: true).Load(weights);
        byte[][] images = [TestImages.Solid(size, size, new SkiaSharp.SKColor(200, 30, 40)), TestImages.Solid(size + 7, size, new SkiaSharp.SKColor(20, 180, 90))];

        var expected = torch.PredictImages(images, size);
        var actual = onnx.PredictImages(images, size);

        onnx.ShouldBeOfType<OnnxRuntimePredictor>();
        (onnx.Architecture, onnx.Classes.Count).ShouldBe((architecture, 3));
        for (var i = 0; i < images.Length; i++)
        {
            actual[i].Probabilities.ShouldBe(expected[i].Probabilities, tolerance: 1e-4);
            actual[i].Embedding.ShouldBe(expected[i].Embedding, tolerance: 1e-3);
        }
        onnx.PredictImages([], size).ShouldBeEmpty();
        Should.Throw<InvalidDataException>(() => onnx.PredictImages([[1, 2, 3]], size)); // not an image: as TorchSharp serving says
    }

    [Theory]
    [InlineData("text-cnn")]
    [InlineData("text-bag")]
    public void ModelsWithoutAnOnnxWriterStayOnTorchSharp(string architecture)
    {
        using var loaded = new PredictorLoader(onnxRuntime: true).Load(Weights(architecture, 2));

        loaded.ShouldBeOfType<Predictor>();
    }
}
