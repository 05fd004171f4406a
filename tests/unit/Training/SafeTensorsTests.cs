using System.Text;
using TransferHub.Training.Models;
using TransferHub.Training.Runtime;
using TransferHub.Training.Weights;
using static TorchSharp.torch;

namespace TransferHub.Tests.Unit.Training;

[Collection(TorchCollection.Name)]
public sealed class SafeTensorsTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("th-safetensors-").FullName;

    public SafeTensorsTests() => TorchRuntime.EnsureLoaded();

    [Theory]
    [InlineData("small-cnn")]
    [InlineData("resnet18")]
    public void ExportThenImportGivesIdenticalOutputs(string architecture)
    {
        var path = Path.Combine(folder, "model.safetensors");
        using var original = GlobalRandom.Create(1, () => ModelRegistry.Create(architecture, 10));
        using var draws = new Generator(1);
        using (no_grad())
            foreach (var (name, buffer) in original.named_buffers().Where(b => b.name.EndsWith("running_mean")))
                buffer.normal_(generator: draws); // non-trivial BatchNorm statistics must travel too
        ModelWeights.Export(original, architecture, path);
        using var restored = GlobalRandom.Create(2, () => ModelRegistry.Create(architecture, 10));
        using var input = randn([4, 3, 32, 32], generator: draws);
        original.eval();
        restored.eval();

        ModelWeights.Import(restored, path, includeHead: true).ShouldBeEmpty();

        using var expected = original.forward(input);
        using var actual = restored.forward(input);
        (actual - expected).abs().max().item<float>().ShouldBe(0f);
    }

    [Fact]
    public void ReadsHalfAndBFloat16AndMetadata()
    {
        var path = Path.Combine(folder, "mixed.safetensors");
        using var values = tensor(new[] { 1.5f, -2.25f, 3.0e-3f, 65504f });
        using var half = values.to(ScalarType.Float16);
        using var bf16 = values.to(ScalarType.BFloat16);
        using var counts = tensor(new long[] { 7, 9 });
        SafeTensors.Write(path, [new("h", half), new("b", bf16), new("i", counts)], new Dictionary<string, string> { ["note"] = "x" });
        var metadata = new Dictionary<string, string>();

        var read = SafeTensors.Read(path, metadata);

        read["h"].dtype.ShouldBe(ScalarType.Float32);
        read["h"].data<float>().ToArray().ShouldBe(half.to(ScalarType.Float32).data<float>().ToArray());
        read["b"].data<float>().ToArray().ShouldBe(bf16.to(ScalarType.Float32).data<float>().ToArray());
        read["i"].data<long>().ToArray().ShouldBe([7L, 9L]);
        metadata["note"].ShouldBe("x");
        // The JSON header is padded so the data area starts 8-byte aligned.
        BitConverter.ToUInt64(File.ReadAllBytes(path), 0).ShouldBe(BitConverter.ToUInt64(File.ReadAllBytes(path), 0) / 8 * 8);
    }

    [Fact]
    public void MismatchedShapesAreAllListed()
    {
        var path = Path.Combine(folder, "ten-classes.safetensors");
        using (var source = ModelRegistry.Create("resnet18", 10)) ModelWeights.Export(source, "resnet18", path);
        using var target = ModelRegistry.Create("resnet18", 5);

        var error = Should.Throw<WeightMismatchException>(() => ModelWeights.Import(target, path, includeHead: true));

        error.MismatchedShapes.Count.ShouldBe(2);
        error.Message.ShouldContain("fc.weight: model [5, 512] vs file [10, 512]");
        error.Message.ShouldContain("fc.bias");
        ModelWeights.Import(target, path, includeHead: false).ShouldBe(["fc.weight", "fc.bias"], ignoreOrder: true);
    }

    [Fact]
    public void RejectsAHeaderThatDoesNotFit()
    {
        var path = WriteRaw("broken.safetensors", "{\"w\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,8]}}", dataBytes: 8);

        Should.Throw<InvalidDataException>(() => SafeTensors.Read(path)).Message.ShouldContain("'w'");
    }

    [Fact]
    public void RejectsATruncatedFileNamingTheTensorThatRunsPastTheEnd()
    {
        var path = WriteRaw("truncated.safetensors",
            "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"w\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[8,24]}}", dataBytes: 12);

        Should.Throw<InvalidDataException>(() => SafeTensors.Read(path)).Message.ShouldBe("Tensor 'w': data_offsets [8, 24] lie outside the 12-byte data area.");
    }

    // Each hostile header is refused as invalid data, with a message, before any tensor is allocated.
    [Theory]
    [InlineData("not json at all", "not valid JSON")]
    [InlineData("[1, 2, 3]", "not a JSON object")]
    [InlineData("{\"w\":{\"shape\":[2],\"data_offsets\":[0,8]}}", "no dtype")]
    [InlineData("{\"w\":{\"dtype\":\"F32\",\"shape\":\"[2]\",\"data_offsets\":[0,8]}}", "shape is not a list")]
    [InlineData("{\"w\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}", "not a non-negative integer")]
    [InlineData("{\"w\":{\"dtype\":\"F32\",\"shape\":[4611686018427387904,4],\"data_offsets\":[0,8]}}", "more elements than any file")]
    [InlineData("{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,0]}}", "do not match")]
    [InlineData("{\"w\":7}", "not an object")]
    [InlineData("{\"__metadata__\":{\"classes\":[\"a\"]}}", "is not a string")]
    [InlineData("{\"__metadata__\":[1]}", "must be an object")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", "overlap")]
    public void RefusesAHostileHeaderClearly(string header, string message)
    {
        var path = WriteRaw("hostile.safetensors", header, dataBytes: 16);

        Should.Throw<InvalidDataException>(() => SafeTensors.Read(path, new Dictionary<string, string>())).Message.ShouldContain(message);
    }

    [Fact]
    public void RefusesAHeaderNestedDeeplyWithoutRecursingIntoIt()
    {
        var path = WriteRaw("deep.safetensors", new string('[', 100_000) + new string(']', 100_000), dataBytes: 0);

        Should.Throw<InvalidDataException>(() => SafeTensors.Read(path)).Message.ShouldContain("not valid JSON");
        Should.Throw<InvalidDataException>(() => SafeTensors.ReadMetadata(path)).Message.ShouldContain("not valid JSON");
    }

    public void Dispose() => Directory.Delete(folder, recursive: true);

    // A safetensors file written by hand: 8-byte header length, the JSON header, then dataBytes zero bytes.
    private string WriteRaw(string name, string header, int dataBytes)
    {
        var path = Path.Combine(folder, name);
        var json = Encoding.UTF8.GetBytes(header);
        File.WriteAllBytes(path, [.. BitConverter.GetBytes((ulong)json.Length), .. json, .. new byte[dataBytes]]);
        return path;
    }
}
