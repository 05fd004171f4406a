using TransferHub.Training.Models;
using static TorchSharp.torch;

namespace TransferHub.Training.Weights;

// Model import/export in safetensors with torchvision names (our modules use them as they are).
public static class ModelWeights
{
    public const string ArchitectureKey = "architecture";
    public const string NumClassesKey = "num_classes";

    // Writes the full state dict (parameters and BatchNorm buffers) with the architecture in the metadata.
    public static void Export(ClassifierModel model, string architecture, string path, IReadOnlyDictionary<string, string>? extraMetadata = null)
    {
        using var lifetime = NewDisposeScope(); // temporaries stay referenced until the file is written (see Trainer.Fit)
        var metadata = new Dictionary<string, string>
        {
            ["format"] = "pt",
            [ArchitectureKey] = architecture,
            [NumClassesKey] = model.NumClasses.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        foreach (var (k, v) in extraMetadata ?? new Dictionary<string, string>()) metadata[k] = v;
        SafeTensors.Write(path, model.state_dict(), metadata);
    }

    // Reads a safetensors file, strips wrapper prefixes ("module." from DataParallel, "model.", Hugging Face's "bert.").
    public static Dictionary<string, Tensor> Read(string path, IDictionary<string, string>? metadata = null)
    {
        var raw = SafeTensors.Read(path, metadata);
        return raw.ToDictionary(kv => NormaliseName(kv.Key), kv => kv.Value);
    }

    // Loads a file into a model: all tensors (resume/serve) or the backbone only (transfer to a new head).
    public static IReadOnlyList<string> Import(ClassifierModel model, string path, bool includeHead)
    {
        using var lifetime = NewDisposeScope(); // the read tensors and temporaries live until copied into the model
        var weights = Read(path);
        try
        {
            return WeightLoader.LoadInto(model, weights, includeHead);
        }
        finally
        {
            foreach (var t in weights.Values) t.Dispose();
        }
    }

    public static string NormaliseName(string name)
    {
        foreach (var prefix in (ReadOnlySpan<string>)["module.", "model.", "bert."])
            if (name.StartsWith(prefix, StringComparison.Ordinal)) { name = name[prefix.Length..]; break; }
        // TensorFlow-converted BERT checkpoints name LayerNorm parameters gamma and beta.
        if (name.EndsWith("LayerNorm.gamma", StringComparison.Ordinal)) return name[..^"gamma".Length] + "weight";
        if (name.EndsWith("LayerNorm.beta", StringComparison.Ordinal)) return name[..^"beta".Length] + "bias";
        return name;
    }
}
