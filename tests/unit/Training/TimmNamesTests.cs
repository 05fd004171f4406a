using TransferHub.Training.Models;
using TransferHub.Training.Runtime;
using TransferHub.Training.Weights;
using TransferHub.Training.Worker;
using static TorchSharp.torch;

namespace TransferHub.Tests.Unit.Training;

/// <summary>
/// timm's names for EfficientNet-B0 and MobileNetV2, written here from timm's architecture definitions (efficientnet_b0:
/// ds_r1_k3_s1_e1_c16_se0.25, ir_r2_k3_s2_e6_c24_se0.25, …; mobilenetv2_100: ds_r1_k3_s1_c16, ir_r2_k3_s2_e6_c24, …) in
/// timm's registration order, must map one to one, in order, onto our (torchvision's) parameters.
/// </summary>
[Collection(TorchCollection.Name)]
[Trait("Category", "Slow")]
public sealed class TimmNamesTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("th-timm-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    // The parameters (not buffers) of timm's model, in the order timm registers them.
    private static List<string> TimmParameters(int[] repeats, bool squeezeExcite)
    {
        var names = new List<string> { "conv_stem.weight", "bn1.weight", "bn1.bias" };
        string[] se = squeezeExcite ? ["se.conv_reduce.weight", "se.conv_reduce.bias", "se.conv_expand.weight", "se.conv_expand.bias"] : [];
        for (var stage = 0; stage < repeats.Length; stage++)
        {
            for (var i = 0; i < repeats[stage]; i++)
            {
                string[] block = stage == 0
                    ? ["conv_dw.weight", "bn1.weight", "bn1.bias", .. se, "conv_pw.weight", "bn2.weight", "bn2.bias"]
                    : ["conv_pw.weight", "bn1.weight", "bn1.bias", "conv_dw.weight", "bn2.weight", "bn2.bias", .. se, "conv_pwl.weight", "bn3.weight", "bn3.bias"];
                names.AddRange(block.Select(n => $"blocks.{stage}.{i}.{n}"));
            }
        }
        names.AddRange(["conv_head.weight", "bn2.weight", "bn2.bias", "classifier.weight", "classifier.bias"]);
        return names;
    }

    [Theory]
    [InlineData("efficientnet-b0", new[] { 1, 2, 2, 3, 3, 4, 1 }, true)]
    [InlineData("mobilenet-v2", new[] { 1, 2, 3, 4, 3, 3, 1 }, false)]
    public void TimmsParametersMapInOrderOntoTorchvisions(string architecture, int[] repeats, bool squeezeExcite)
    {
        TorchRuntime.EnsureLoaded();
        using var model = ModelRegistry.Create(architecture, 5);
        var ours = model.named_parameters().Select(p => p.name).ToList();
        var timm = TimmParameters(repeats, squeezeExcite);
        using var placeholder = zeros(1);

        var renamed = TimmNames.ToTorchvision(architecture, timm.ToDictionary(n => n, _ => placeholder));

        timm.Count.ShouldBe(ours.Count);
        renamed.Keys.ToList().ShouldBe(ours); // the i-th of timm's is the i-th of torchvision's
    }

    [Theory]
    [InlineData("efficientnet-b0", "blocks.0.0.se.conv_reduce.weight", new long[] { 8, 32, 1, 1 })]
    [InlineData("efficientnet-b0", "blocks.2.1.conv_dw.weight", new long[] { 240, 1, 5, 5 })]
    [InlineData("efficientnet-b0", "blocks.6.0.conv_pwl.weight", new long[] { 320, 1152, 1, 1 })]
    [InlineData("efficientnet-b0", "blocks.5.3.bn2.running_var", new long[] { 1152 })]
    [InlineData("mobilenet-v2", "blocks.0.0.conv_pw.weight", new long[] { 16, 32, 1, 1 })]
    [InlineData("mobilenet-v2", "blocks.3.3.conv_dw.weight", new long[] { 384, 1, 3, 3 })]
    [InlineData("mobilenet-v2", "blocks.6.0.bn3.running_mean", new long[] { 320 })]
    [InlineData("mobilenet-v2", "conv_head.weight", new long[] { 1280, 320, 1, 1 })]
    public void ATimmTensorLandsOnALayerOfItsShape(string architecture, string timmName, long[] shape)
    {
        TorchRuntime.EnsureLoaded();
        using var model = ModelRegistry.Create(architecture, 5);
        using var placeholder = zeros(1);

        var ours = TimmNames.ToTorchvision(architecture, new Dictionary<string, Tensor> { ["conv_stem.weight"] = placeholder, [timmName] = placeholder }).Keys.Last();

        model.state_dict()[ours].shape.ShouldBe(shape);
    }

    [Fact]
    public void ATimmNamedFileImportsAndPredictsAsTheModelItCameFrom()
    {
        TorchRuntime.EnsureLoaded();
        using var source = GlobalRandom.Create(4, () => ModelRegistry.Create("efficientnet-b0", 3));
        File.WriteAllBytes(Path.Combine(_folder, "timm.safetensors"), TimmFile(source, "efficientnet-b0"));

        var info = WeightsImport.Import(Path.Combine(_folder, "timm.safetensors"), "efficientnet-b0", null, Path.Combine(_folder, "ours.safetensors"));
        using var loaded = ModelRegistry.Create("efficientnet-b0", 3);
        WeightLoader.LoadInto(loaded, ModelWeights.Read(Path.Combine(_folder, "ours.safetensors")), includeHead: true).ShouldBeEmpty();
        source.eval();
        loaded.eval();
        using var input = randn([2, 3, 32, 32], generator: new TorchSharp.torch.Generator(1));
        using var expected = source.forward(input);
        using var actual = loaded.forward(input);

        (info.Architecture, info.NumClasses).ShouldBe(("efficientnet-b0", 3));
        allclose(expected, actual, rtol: 0, atol: 0).ShouldBeTrue();
    }

    [Fact]
    public void TheSharedTimmMobileNetV2FileHasTimmsNamesAndOurShapesAndImports()
    {
        TorchRuntime.EnsureLoaded();
        using var model = ModelRegistry.Create("mobilenet-v2", 6);
        var ours = model.state_dict();
        var listed = TransferHub.Tests.Support.TimmMobileNetV2File.Tensors(6);
        using var placeholder = zeros(1);

        var renamed = TimmNames.ToTorchvision("mobilenet-v2", listed.ToDictionary(t => t.Name, _ => placeholder));
        File.WriteAllBytes(Path.Combine(_folder, "timm-mnv2.safetensors"), TransferHub.Tests.Support.TimmMobileNetV2File.Write(6));
        var info = WeightsImport.Import(Path.Combine(_folder, "timm-mnv2.safetensors"), "mobilenet-v2", null, Path.Combine(_folder, "mnv2.safetensors"));

        renamed.Keys.ShouldBe(ours.Keys.Where(k => !k.EndsWith("num_batches_tracked", StringComparison.Ordinal)), ignoreOrder: true);
        foreach (var ((name, shape), ourName) in listed.Zip(renamed.Keys))
        {
            ours[ourName].shape.ShouldBe(shape, name);
        }
        (info.Architecture, info.NumClasses).ShouldBe(("mobilenet-v2", 6));
    }

    /// <summary>A model's weights as timm would write them (timm's names, safetensors with only a format entry).</summary>
    internal static byte[] TimmFile(ClassifierModel model, string architecture)
    {
        var (repeats, squeezeExcite) = architecture == "efficientnet-b0" ? (new[] { 1, 2, 2, 3, 3, 4, 1 }, true) : (new[] { 1, 2, 3, 4, 3, 3, 1 }, false);
        var toTimm = TimmParameters(repeats, squeezeExcite).Zip(model.named_parameters().Select(p => p.name)).ToDictionary(p => p.Second, p => p.First);
        var timmState = model.state_dict().ToDictionary(kv => toTimm.TryGetValue(kv.Key, out var t) ? t : BufferName(toTimm, kv.Key), kv => kv.Value);
        var path = System.IO.Path.GetTempFileName();
        try
        {
            SafeTensors.Write(path, timmState, new Dictionary<string, string> { ["format"] = "pt" });
            return File.ReadAllBytes(path);
        }
        finally
        {
            File.Delete(path);
        }
    }

    // Buffers follow their BatchNorm's parameters: the running_mean of "x.weight"'s module is "x.running_mean".
    private static string BufferName(Dictionary<string, string> toTimm, string ours)
    {
        var module = ours[..ours.LastIndexOf('.')];
        var timmWeight = toTimm[$"{module}.weight"];
        return $"{timmWeight[..timmWeight.LastIndexOf('.')]}{ours[ours.LastIndexOf('.')..]}";
    }
}
