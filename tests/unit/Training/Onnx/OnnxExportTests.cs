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
public sealed class OnnxExportTests
{
    [Theory]
    [InlineData("small-cnn", 24)]
    [InlineData("small-cnn-16", 17)]
    [InlineData("resnet18", 32)]
    [InlineData("resnet50", 32)]
    [InlineData("mobilenet-v2", 32)]
    [InlineData("efficientnet-b0", 40)]
    public void EachImageArchitectureExportsAndOnnxRuntimeReproducesIt(string architecture, int size)
    {
        using var model = GlobalRandom.Create(3, () => ModelRegistry.Create(architecture, 5));
        using var draws = new Generator(3);
        // Non-trivial statistics, so BatchNormalization's export is exercised rather than its identity.
        using (no_grad())
        {
            foreach (var (name, buffer) in model.named_buffers().Where(b => b.name.EndsWith("running_var", StringComparison.Ordinal)))
                buffer.uniform_(0.5, 2, generator: draws);
        }

        var exported = OnnxExport.Export(model, architecture, size);

        exported.RelativeDifference.ShouldBeLessThanOrEqualTo(OnnxExport.Tolerance);
        var proto = global::Onnx.ModelProto.Parser.ParseFrom(exported.Model);
        proto.OpsetImport.Single().Version.ShouldBe(OnnxExport.Opset);
        proto.Graph.Input.Single().Type.TensorType.Shape.Dim[0].DimParam.ShouldBe("batch");
    }

    [Fact]
    public void AnImportedGraphExportsWithItsInputConversion()
    {
        var folder = Directory.CreateTempSubdirectory("th-onnx-export-").FullName;
        try
        {
            OnnxModels.Save(OnnxModels.ResidualCnn(), Path.Combine(folder, "in.onnx"));
            WeightsImport.Import(Path.Combine(folder, "in.onnx"), null, null, Path.Combine(folder, "w.safetensors"),
                new OnnxImportOptions(Bgr: true, PixelScale: 255, Mean: [100, 110, 120], Std: [50, 60, 70]));
            using var model = ModelRegistry.Create("onnx-graph", 4, SafeTensors.ReadMetadata(Path.Combine(folder, "w.safetensors")));
            ModelWeights.Import(model, Path.Combine(folder, "w.safetensors"), includeHead: false);

            var exported = OnnxExport.Export(model, "onnx-graph", 20); // not the declared 16: the graph's pools are global

            exported.RelativeDifference.ShouldBeLessThanOrEqualTo(OnnxExport.Tolerance);
            global::Onnx.ModelProto.Parser.ParseFrom(exported.Model).Graph.Node.Select(n => n.OpType).ShouldContain("Gather"); // BGR
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Theory]
    [InlineData("text-bag")]
    [InlineData("text-cnn")]
    public void TextModelsExportWithTokenIdsInAndOnnxRuntimeReproducesThem(string architecture)
    {
        using var model = GlobalRandom.Create(4, () => ModelRegistry.Create(architecture, 3));

        var exported = OnnxExport.Export(model, architecture, imageSize: 0);

        exported.RelativeDifference.ShouldBeLessThanOrEqualTo(OnnxExport.Tolerance);
        exported.Probe.ShouldBe("2x24 token ids"); // the second row ends in padding: the mask is compared too
        var input = global::Onnx.ModelProto.Parser.ParseFrom(exported.Model).Graph.Input.Single();
        (input.Name, input.Type.TensorType.ElemType).ShouldBe((OnnxExport.TextInput, (int)global::Onnx.TensorProto.Types.DataType.Int64));
    }

    [Fact]
    public void BertExportsWithItsPaddingMaskAndANonZeroPadId()
    {
        // Pad id 1, not 0: the graph must mask the config's pad id; TorchSharp drops padding columns, ONNX masks them.
        var config = new TransferHub.Training.Models.Bert.BertConfig(VocabSize: 50, HiddenSize: 32, Layers: 2, Heads: 4, IntermediateSize: 64, MaxPositions: 40, PadTokenId: 1);
        using var model = GlobalRandom.Create(6, () => new TransferHub.Training.Models.Bert.TextBert(config, 4));

        var exported = OnnxExport.Export(model, "text-bert", imageSize: 0);

        exported.RelativeDifference.ShouldBeLessThanOrEqualTo(OnnxExport.Tolerance);
        var ops = global::Onnx.ModelProto.Parser.ParseFrom(exported.Model).Graph.Node.Select(n => n.OpType).ToList();
        ops.Count(op => op == "Softmax").ShouldBe(2); // one attention per layer
        ops.ShouldContain("LayerNormalization");
        ops.ShouldContain("Erf"); // exact GELU
    }

    [Fact]
    public void AnArchitectureWithoutAWriterIsRefusedByName()
    {
        using var model = ModelRegistry.Create("small-cnn", 3);

        Should.Throw<NotSupportedException>(() => OnnxExport.Export(model, "vit-b16", 16)).Message.ShouldContain("vit-b16");
    }
}
