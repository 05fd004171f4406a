using System.Reflection;
using Onnx;
using TransferHub.Shared.Training;
using TransferHub.Tests.Support;
using TransferHub.Training.Models;
using TransferHub.Training.Models.Onnx;
using TransferHub.Training.Runtime;
using TransferHub.Training.Weights;
using TransferHub.Training.Worker;
using static TorchSharp.torch;

namespace TransferHub.Tests.Unit.Training.Onnx;

[Collection(TorchCollection.Name)]
public sealed class OnnxImportTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("th-onnx-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string Path(string name) => System.IO.Path.Combine(_folder, name);

    private string Saved(ModelProto model, string name = "model.onnx")
    {
        OnnxModels.Save(model, Path(name));
        return Path(name);
    }

    [Fact]
    public void AResidualCnnImportsWithItsHeadAndReproducesOnnxRuntime()
    {
        var info = WeightsImport.Import(Saved(OnnxModels.ResidualCnn()), null, null, Path("out.safetensors"));

        (info.Architecture, info.NumClasses).ShouldBe(("onnx-graph", 3));
        var metadata = SafeTensors.ReadMetadata(Path("out.safetensors"));
        var spec = OnnxGraphSpec.FromMetadata(metadata)!;
        spec.FeatureOutput.ShouldBe("f1"); // the input of the final Gemm: the head is replaced, the rest is backbone
        spec.FeatureDim.ShouldBe(8);
        spec.Parity.ShouldNotBeNull().ShouldContain("vs ONNX Runtime");
        spec.Nodes.ShouldNotContain(n => n.Op == "Gemm");
        // Our own onnx-graph file imports again as it is (a run's model taken as a new source).
        WeightsImport.Import(Path("out.safetensors"), null, null, Path("again.safetensors")).Architecture.ShouldBe("onnx-graph");
        // The source's head came along as fc, so LEEP can use the source's own predictions.
        using var model = ModelRegistry.Create("onnx-graph", 3, metadata);
        ModelWeights.Import(model, Path("out.safetensors"), includeHead: true);
        using var fcWeight = model.Head.weight!.detach().clone();
        fcWeight.data<float>().ToArray().ShouldBe(OnnxModels.ResidualCnn().Graph.Initializer.Single(t => t.Name == "fc.w").FloatData.ToArray(), tolerance: 1e-6);
    }

    [Fact]
    public void TheImportedGraphTrainsAsBlocksAndRunsAtOtherImageSizes()
    {
        WeightsImport.Import(Saved(OnnxModels.ResidualCnn()), null, null, Path("out.safetensors"));
        var metadata = SafeTensors.ReadMetadata(Path("out.safetensors"));
        using var model = ModelRegistry.Create("onnx-graph", 4, metadata);
        ModelWeights.Import(model, Path("out.safetensors"), includeHead: false);
        model.Blocks.Count.ShouldBe(2); // two convolutions: the stem and one block
        model.Blocks[0].SetTrainable(false);

        using var draws = new Generator(4);
        using var x = randn([4, 3, 24, 24], generator: draws);
        using var target = tensor(new long[] { 0, 1, 2, 3 });
        using var before = model.Blocks[1].Parameters().First().detach().clone();
        using var stemBefore = model.Blocks[0].Parameters().First().detach().clone();
        var optimizer = optim.SGD(model.parameters().Where(p => p.requires_grad), 0.1);
        model.train();
        using (var loss = nn.functional.cross_entropy(model.forward(x), target))
        {
            loss.backward();
        }
        optimizer.step();

        model.forward(x).shape.ShouldBe([4L, 4]);
        model.Blocks[1].Parameters().First().allclose(before).ShouldBeFalse();
        model.Blocks[0].Parameters().First().allclose(stemBefore).ShouldBeTrue(); // frozen
    }

    [Theory]
    [InlineData(TrainingStrategy.FineTune)]
    [InlineData(TrainingStrategy.ProgressiveUnfreeze)]
    [InlineData(TrainingStrategy.FeatureExtraction)]
    public void EveryTransferStrategyTrainsTheImportedGraphWithoutDiverging(TrainingStrategy strategy)
    {
        WeightsImport.Import(Saved(OnnxModels.ResidualCnn()), null, null, Path("out.safetensors"),
            new OnnxImportOptions(Bgr: true, PixelScale: 255, Mean: [100, 110, 120], Std: [50, 50, 50]));
        var metadata = SafeTensors.ReadMetadata(Path("out.safetensors"));
        using var data = TrainingHarness.Task(TransferHub.Training.Data.SyntheticLabel.Shape, 48, 16, 16, seed: 3);
        using var model = GlobalRandom.Create(1, () => ModelRegistry.Create("onnx-graph", data.NumClasses, metadata));
        ModelWeights.Import(model, Path("out.safetensors"), includeHead: false);
        var spec = new TrainingJobSpec("onnx-graph", strategy, Epochs: 3, BatchSize: 8, LearningRate: 3e-3, Patience: 0);

        var result = new TransferHub.Training.Strategies.Trainer(Microsoft.Extensions.Logging.Abstractions.NullLogger<TransferHub.Training.Strategies.Trainer>.Instance,
            TimeProvider.System).Fit(model, data, spec);

        result.Epochs.Count.ShouldBe(3);
        result.Epochs.ShouldAllBe(e => double.IsFinite(e.TrainLoss));
    }

    [Fact]
    public void WithoutItsValuesTheGraphStartsFromScratchForTheBaseline()
    {
        WeightsImport.Import(Saved(OnnxModels.ResidualCnn()), null, null, Path("out.safetensors"));
        var metadata = SafeTensors.ReadMetadata(Path("out.safetensors"));
        var recipe = LocalTraining.RecipeFor("onnx-graph", Path("out.safetensors"), "/data/train");
        using var imported = ModelRegistry.Create("onnx-graph", 3, metadata);
        ModelWeights.Import(imported, Path("out.safetensors"), includeHead: false);
        using var scratch = ModelRegistry.Create("onnx-graph", 3, recipe);

        scratch.state_dict().Keys.ShouldBe(imported.state_dict().Keys);
        scratch.state_dict()["b0.conv1_w"].allclose(imported.state_dict()["b0.conv1_w"]).ShouldBeFalse();
        Should.Throw<ArgumentException>(() => LocalTraining.RecipeFor("onnx-graph", null, "/data/train")).Message.ShouldContain("imported source");
    }

    [Fact]
    public void ImageNetResNet18FromTheMlNetPackageImportsWithParityAndRunsAtSmallSizes()
    {
        var file = typeof(OnnxImportTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "ResNet18Onnx").Value!;
        File.Exists(file).ShouldBeTrue($"restore brings {file}");

        // CNTK's convention: BGR, 0-255, minus the mean image (per-channel means of ResNetPreprocess.onnx's MeanImage).
        var info = WeightsImport.Import(file, null, null, Path("rn18.safetensors"),
            new OnnxImportOptions(Bgr: true, PixelScale: 255, Mean: [103.06, 115.90, 123.15], Std: [1, 1, 1]));

        info.Parameters.ShouldBe(15_897_665); // CNTK's ResNet-18: 22 convolutions (torchvision's has 20), with our 512→1 head
        var spec = OnnxGraphSpec.FromMetadata(SafeTensors.ReadMetadata(Path("rn18.safetensors")))!;
        (spec.FeatureDim, spec.Nodes.Count(n => n.Op == "Conv"), spec.Learned.Select(l => l.Block).Distinct().Count()).ShouldBe((512, 22, 5));
        using var model = ModelRegistry.Create("onnx-graph", 10, SafeTensors.ReadMetadata(Path("rn18.safetensors")));
        ModelWeights.Import(model, Path("rn18.safetensors"), includeHead: false);
        model.eval();
        using var draws = new Generator(2);
        using var features = model.Features(randn([2, 3, 64, 64], generator: draws));
        features.shape.ShouldBe([2L, 512]); // the 7×7 AveragePool became global
    }

    [Theory]
    [InlineData("not-onnx", "Not an ONNX model")]
    [InlineData("unsupported", "Unsupported ONNX operator: LSTM")]
    [InlineData("foreign-domain", "com.microsoft.FusedConv")]
    [InlineData("external", "external data")]
    [InlineData("cycle", "cycle")]
    [InlineData("undefined", "nothing defines")]
    [InlineData("huge", "1000000000 elements")]
    [InlineData("rank", "rank 2")]
    [InlineData("short-data", "declares 216 values but holds 5")]
    public void HostileOrUnsupportedGraphsAreRefusedWithAMessageAndWriteNothing(string kind, string message)
    {
        var model = OnnxModels.ResidualCnn();
        var graph = model.Graph;
        switch (kind)
        {
            case "not-onnx":
                File.WriteAllBytes(Path("model.onnx"), [0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0x12, 0x99, 0x01]);
                break;
            case "unsupported":
                graph.Node.Insert(2, OnnxModels.Node("LSTM", ["n1"], ["lstm"]));
                break;
            case "foreign-domain":
                var fused = OnnxModels.Node("FusedConv", ["image", "conv1.w"], ["fused"]);
                fused.Domain = "com.microsoft";
                graph.Node.Add(fused);
                break;
            case "external":
                var w = graph.Initializer.Single(t => t.Name == "conv2.w");
                w.FloatData.Clear();
                w.DataLocation = TensorProto.Types.DataLocation.External;
                w.ExternalData.Add(new StringStringEntryProto { Key = "location", Value = "../../etc/passwd" });
                break;
            case "cycle":
                graph.Node.Single(n => n.OpType == "Relu").Input[0] = "a1"; // Relu ← Add ← Conv ← MaxPool ← Relu
                break;
            case "undefined":
                graph.Node.Single(n => n.OpType == "Add").Input[1] = "nowhere";
                break;
            case "huge":
                var big = new TensorProto { Name = "big", DataType = (int)TensorProto.Types.DataType.Float };
                big.Dims.AddRange([1000, 1000, 1000]);
                graph.Initializer.Add(big);
                break;
            case "rank":
                graph.Input[0] = new ValueInfoProto { Name = "image", Type = OnnxModels.TensorType(1, 768) };
                break;
            case "short-data":
                var conv = graph.Initializer.Single(t => t.Name == "conv1.w");
                conv.FloatData.Clear();
                conv.FloatData.AddRange([1, 2, 3, 4, 5]);
                break;
        }
        if (kind != "not-onnx")
        {
            OnnxModels.Save(model, Path("model.onnx"));
        }

        var error = Should.Throw<ArgumentException>(() => WeightsImport.Import(Path("model.onnx"), null, null, Path("out.safetensors")));

        error.Message.ShouldContain(message);
        File.Exists(Path("out.safetensors")).ShouldBeFalse();
    }
}
