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
    [InlineData("text-bert")]
    public void TextModelsAreServedByOnnxRuntimeWithTheSameOutputs(string architecture)
    {
        string[] texts = ["the film was a delight from start to end", "dull", "", "a delight, dull in the middle, then a delight again"];
        var weights = architecture == "text-bert" ? BertWeights(texts) : Weights(architecture, 3);
        using var torch = new PredictorLoader().Load(weights);
        using var onnx = new PredictorLoader(onnxRuntime: true).Load(weights);

        var expected = torch.PredictTexts(texts);
        var actual = onnx.PredictTexts(texts);

        onnx.ShouldBeOfType<OnnxRuntimePredictor>();
        onnx.IsText.ShouldBeTrue();
        for (var i = 0; i < texts.Length; i++)
        {
            actual[i].Probabilities.ShouldBe(expected[i].Probabilities, tolerance: 1e-4);
            actual[i].Embedding.ShouldBe(expected[i].Embedding, tolerance: 1e-3);
        }
        onnx.PredictTexts([]).ShouldBeEmpty();
        Should.Throw<InvalidOperationException>(() => onnx.PredictImages([[1, 2, 3]], 16)).Message.ShouldContain("texts");
    }

    // A BERT-tiny-shaped encoder with a vocabulary built from the texts, as a scratch text-bert run writes it.
    private static byte[] BertWeights(IEnumerable<string> texts)
    {
        var recipe = TransferHub.Training.Models.Bert.BertRecipe.FromScratch(texts);
        using var model = GlobalRandom.Create(5, () => new TransferHub.Training.Models.Bert.TextBert(recipe.Config, 3));
        var path = Path.Combine(Path.GetTempPath(), $"th-{Guid.NewGuid():N}.safetensors");
        ModelWeights.Export(model, "text-bert", path, recipe.ToMetadata());
        var bytes = File.ReadAllBytes(path);
        File.Delete(path);
        return bytes;
    }

    [Theory]
    [InlineData("small-cnn")]
    [InlineData("text-bert")]
    public void AnExportedFileAloneIsServedWithTheSameOutputs(string architecture)
    {
        string[] texts = ["a delight from start to end", "dull"];
        var weights = architecture == "text-bert" ? BertWeights(texts) : Weights(architecture, 3);
        var loader = new PredictorLoader(onnxRuntime: true);
        using var fromWeights = loader.Load(weights);
        var (onnx, _) = loader.ToOnnx(weights, 16);

        using var fromFile = loader.LoadOnnx(onnx); // architecture, classes and vocabulary come from the file's metadata

        (fromFile.Architecture, fromFile.IsText).ShouldBe((fromWeights.Architecture, fromWeights.IsText));
        fromFile.Classes.ShouldBe(fromWeights.Classes);
        var (expected, actual) = fromFile.IsText
            ? (fromWeights.PredictTexts(texts), fromFile.PredictTexts(texts))
            : (fromWeights.PredictImages([TestImages.Solid(16, 16, SkiaSharp.SKColors.Teal)], 16), fromFile.PredictImages([TestImages.Solid(16, 16, SkiaSharp.SKColors.Teal)], 16));
        for (var i = 0; i < expected.Count; i++)
        {
            actual[i].Probabilities.ShouldBe(expected[i].Probabilities, tolerance: 1e-6);
        }
    }

    [Fact]
    public void OnlyOnnxFilesThisEngineExportedAreServedFromTheFileAlone()
    {
        var foreign = Should.Throw<InvalidDataException>(() => new PredictorLoader(onnxRuntime: true).LoadOnnx(Google.Protobuf.MessageExtensions.ToByteArray(TransferHub.Tests.Support.OnnxModels.ResidualCnn())));
        var garbage = Should.Throw<InvalidDataException>(() => new PredictorLoader(onnxRuntime: true).LoadOnnx([1, 2, 3, 4]));

        foreign.Message.ShouldContain("not exported by TransferHub");
        garbage.Message.ShouldContain("Not a loadable ONNX model");
    }
}
