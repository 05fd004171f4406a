using TransferHub.Training.Models;
using TransferHub.Training.Weights;
using TransferHub.Training.Worker;

namespace TransferHub.Tests.Unit.Training;

[Collection(TorchCollection.Name)]
[Trait("Category", "Slow")]
public sealed class WeightsImportTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("th-weights-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string Path(string name) => System.IO.Path.Combine(_folder, name);

    [Fact]
    public void OurSafeTensorsAreAcceptedWithTheirArchitectureAndClassesFromTheMetadata()
    {
        using var model = ModelRegistry.Create("small-cnn", 5);
        ModelWeights.Export(model, "small-cnn", Path("in.safetensors"));

        var info = WeightsImport.Import(Path("in.safetensors"), null, null, Path("out.safetensors"));

        (info.Architecture, info.NumClasses).ShouldBe(("small-cnn", 5));
        info.Parameters.ShouldBe(model.parameters().Sum(p => p.numel()));
        ModelWeights.Read(Path("out.safetensors")).Keys.ShouldBe(model.state_dict().Keys, ignoreOrder: true);
    }

    [Theory]
    [InlineData("mobilenet-v2")]
    [InlineData("efficientnet-b0")]
    public void AHeadBehindADropoutIsFoundAndKeptInAFileWithoutOurMetadata(string architecture)
    {
        // torchvision's MobileNetV2/EfficientNet head is classifier.1 (classifier.0 is the dropout): its size is the class count.
        using var model = ModelRegistry.Create(architecture, 7);
        SafeTensors.Write(Path("tv.safetensors"), model.state_dict(), new Dictionary<string, string> { ["format"] = "pt" });

        var info = WeightsImport.Import(Path("tv.safetensors"), architecture, null, Path("out.safetensors"));

        info.NumClasses.ShouldBe(7);
        ModelWeights.Read(Path("out.safetensors"))["classifier.1.weight"].shape.ShouldBe([7L, 1280]);
    }

    [Fact]
    public void ATorchSharpDatFileIsConvertedWhenItsClassCountIsGiven()
    {
        using var model = ModelRegistry.Create("small-cnn", 3);
        model.save(Path("in.dat"));

        var info = WeightsImport.Import(Path("in.dat"), "small-cnn", 3, Path("out.safetensors"));
        var noClasses = Should.Throw<ArgumentException>(() => WeightsImport.Import(Path("in.dat"), "small-cnn", null, Path("x.safetensors")));
        var wrongClasses = Should.Throw<ArgumentException>(() => WeightsImport.Import(Path("in.dat"), "small-cnn", 7, Path("y.safetensors")));

        info.NumClasses.ShouldBe(3);
        using var reloaded = ModelRegistry.Create("small-cnn", 3);
        ModelWeights.Import(reloaded, Path("out.safetensors"), includeHead: true).ShouldBeEmpty();
        noClasses.Message.ShouldContain("numClasses");
        wrongClasses.Message.ShouldContain("does not fit small-cnn with 7 classes");
    }

    [Fact]
    public void WeightsOfAnotherArchitectureAreRefusedWithTheShapesThatDoNotFit()
    {
        using var model = ModelRegistry.Create("small-cnn", 4);
        ModelWeights.Export(model, "small-cnn", Path("cnn.safetensors"));

        var wrong = Should.Throw<WeightMismatchException>(() => WeightsImport.Import(Path("cnn.safetensors"), "small-cnn-16", null, Path("out.safetensors")));

        wrong.MismatchedShapes.ShouldNotBeEmpty();
        wrong.Message.ShouldContain("block1.conv.weight");
        File.Exists(Path("out.safetensors")).ShouldBeFalse();
    }

    [Fact]
    public void NotAWeightsFileIsRefused()
    {
        File.WriteAllText(Path("notes.safetensors"), "these are not weights, just text long enough");
        File.WriteAllBytes(Path("tiny"), [1, 2]);

        Should.Throw<ArgumentException>(() => WeightsImport.Import(Path("notes.safetensors"), "small-cnn", 2, Path("a")));
        Should.Throw<ArgumentException>(() => WeightsImport.Import(Path("tiny"), "small-cnn", 2, Path("b")));
        Should.Throw<ArgumentException>(() => WeightsImport.Import(Path("notes.safetensors"), "resnet1000", 2, Path("c")))
            .Message.ShouldContain("Unknown architecture");
    }
}
