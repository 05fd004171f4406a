using System.Buffers.Binary;
using System.Globalization;
using TransferHub.Training.Models;
using TransferHub.Training.Weights;

namespace TransferHub.Training.Worker;

/// <summary>What an imported weights file holds, once checked against its architecture.</summary>
public sealed record WeightsInfo(string Architecture, int NumClasses, int Tensors, long Parameters, IReadOnlyList<string>? Classes);

/// <summary>
/// Checks pretrained weights before anything trains on them: safetensors (ours, torchvision or Hugging Face
/// names) or TorchSharp <c>.dat</c>, loaded into the named architecture so that a file that does not fit
/// fails here with every mismatched shape listed. Everything is stored as safetensors afterwards.
/// </summary>
public static class WeightsImport
{
    /// <summary>Validates <paramref name="path"/> and writes it as safetensors to <paramref name="safetensorsOut"/>.</summary>
    /// <param name="architecture">Required for .dat and for safetensors without our metadata.</param>
    /// <param name="numClasses">Required for .dat (its head size); read from the file otherwise.</param>
    /// <exception cref="ArgumentException">Not a weights file, an unknown architecture, or weights that do not fit (the message says which).</exception>
    public static WeightsInfo Import(string path, string? architecture, int? numClasses, string safetensorsOut)
    {
        Runtime.TorchRuntime.EnsureLoaded();
        return IsSafeTensors(path)
            ? FromSafeTensors(path, architecture, safetensorsOut)
            : FromDat(path, architecture ?? throw new ArgumentException("A TorchSharp .dat file does not name its architecture: give one."),
                numClasses ?? throw new ArgumentException("A TorchSharp .dat file does not say its number of classes: give numClasses."), safetensorsOut);
    }

    private static WeightsInfo FromSafeTensors(string path, string? architecture, string output)
    {
        var metadata = new Dictionary<string, string>();
        var tensors = ModelWeights.Read(path, metadata);
        try
        {
            architecture ??= metadata.GetValueOrDefault(ModelWeights.ArchitectureKey)
                ?? throw new ArgumentException("The file names no architecture in its metadata: give one.");
            var known = Known(architecture);
            using var probe = ModelRegistry.Create(known, 2);
            var headWeight = $"{probe.HeadName}.weight";
            var classes = metadata.TryGetValue(ModelWeights.NumClassesKey, out var n) ? int.Parse(n, CultureInfo.InvariantCulture)
                : tensors.TryGetValue(headWeight, out var head) ? (int)head.shape[0] : 0;
            using var model = ModelRegistry.Create(known, Math.Max(classes, 1));
            // The backbone must fit; the head is replaced by every transfer arm, but LEEP uses it when it fits too.
            WeightLoader.LoadInto(model, tensors, includeHead: classes > 0 && tensors.ContainsKey(headWeight));
            Export(model, known, output, metadata.GetValueOrDefault("classes"));
            return new WeightsInfo(known, classes, tensors.Count, model.parameters().Sum(p => p.numel()), ParseClasses(metadata.GetValueOrDefault("classes")));
        }
        finally
        {
            foreach (var t in tensors.Values) t.Dispose();
        }
    }

    private static WeightsInfo FromDat(string path, string architecture, int numClasses, string output)
    {
        var known = Known(architecture);
        if (numClasses is < 1 or > 100_000)
        {
            throw new ArgumentException("numClasses must be between 1 and 100000.");
        }
        using var model = ModelRegistry.Create(known, numClasses);
        try
        {
            model.load(path, strict: true);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        // TorchSharp's reader fails in many ways on a foreign file (bad counts, strings, dtypes): all mean "not these weights".
        {
            throw new ArgumentException($"The .dat file does not fit {known} with {numClasses} classes: {e.Message}", e);
        }
        Export(model, known, output, null);
        return new WeightsInfo(known, numClasses, model.state_dict().Count, model.parameters().Sum(p => p.numel()), null);
    }

    private static void Export(ClassifierModel model, string architecture, string output, string? classes) =>
        ModelWeights.Export(model, architecture, output, classes is null ? null : new Dictionary<string, string> { ["classes"] = classes });

    private static string Known(string architecture) =>
        ModelRegistry.Names.FirstOrDefault(n => n.Equals(architecture.Trim(), StringComparison.OrdinalIgnoreCase))
        ?? throw new ArgumentException($"Unknown architecture '{architecture}'. Architectures: {string.Join(", ", ModelRegistry.Names)}.");

    private static IReadOnlyList<string>? ParseClasses(string? json) =>
        json is null ? null : System.Text.Json.JsonSerializer.Deserialize<List<string>>(json);

    /// <summary>safetensors starts with a little-endian u64 header length followed by a JSON object.</summary>
    private static bool IsSafeTensors(string path)
    {
        using var file = File.OpenRead(path);
        Span<byte> head = stackalloc byte[9];
        if (file.Read(head) < 9)
        {
            throw new ArgumentException("The file is too short to hold weights.");
        }
        var length = BinaryPrimitives.ReadUInt64LittleEndian(head);
        return head[8] == (byte)'{' && length < (ulong)file.Length;
    }
}
