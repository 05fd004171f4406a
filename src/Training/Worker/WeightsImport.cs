using System.IO.Compression;
using System.Buffers.Binary;
using System.Globalization;
using TransferHub.Shared.Training;
using TransferHub.Training.Models;
using TransferHub.Training.Models.Bert;
using TransferHub.Training.Weights;
using static TorchSharp.torch;

namespace TransferHub.Training.Worker;

/// <summary>
/// Checks pretrained weights before anything trains on them: safetensors (ours, torchvision or Hugging Face
/// names), TorchSharp <c>.dat</c>, or a Hugging Face BERT/MiniLM folder as a .zip, loaded into the named
/// architecture so that a file that does not fit fails here with every mismatched shape listed. Everything is
/// stored as safetensors afterwards (text-bert's with its config and vocabulary in the metadata).
/// </summary>
public static class WeightsImport
{
    /// <summary>Validates <paramref name="path"/> and writes it as safetensors to <paramref name="safetensorsOut"/>.</summary>
    /// <param name="architecture">Required for .dat and for safetensors without our metadata.</param>
    /// <param name="numClasses">Required for .dat (its head size); read from the file otherwise.</param>
    /// <exception cref="ArgumentException">Not a weights file, an unknown architecture, or weights that do not fit (the message says which).</exception>
    /// <param name="onnx">How to read an .onnx file's input and where its backbone ends (torchvision's convention by default).</param>
    public static WeightsInfo Import(string path, string? architecture, int? numClasses, string safetensorsOut, OnnxImportOptions? onnx = null)
    {
        Runtime.TorchRuntime.EnsureLoaded();
        if (IsZip(path))
        {
            return FromHuggingFaceZip(path, safetensorsOut);
        }
        if (!IsSafeTensors(path) && Models.Onnx.OnnxImport.LooksLikeOnnx(path) && architecture is null or Models.Onnx.OnnxGraphSpec.Architecture)
        {
            return Models.Onnx.OnnxWeightsImport.Import(path, onnx ?? new OnnxImportOptions(), safetensorsOut);
        }
        return IsSafeTensors(path)
            ? FromSafeTensors(path, architecture, safetensorsOut)
            : FromDat(path, architecture ?? throw new ArgumentException(
                    "The file is neither safetensors (no JSON header) nor a zip. If it is a TorchSharp .dat, give its architecture and class count."),
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
            if (TimmNames.Applies(known, tensors))
            {
                tensors = TimmNames.ToTorchvision(known, tensors); // the same tensors, renamed: still disposed below
            }
            var recipe = BertRecipe.Applies(known)
                ? BertRecipe.FromMetadata(metadata) ?? throw new ArgumentException(
                    "A text-bert file needs its vocabulary and config: upload the Hugging Face folder (model.safetensors, vocab.txt, config.json) as a .zip.")
                : null;
            // An onnx-graph file (one of our runs', say) carries its graph: the model is built from it.
            var graph = Models.Onnx.OnnxGraphSpec.Applies(known) && metadata.TryGetValue(Models.Onnx.OnnxGraphSpec.MetadataKey, out var g)
                ? new Dictionary<string, string> { [Models.Onnx.OnnxGraphSpec.MetadataKey] = g } : null;
            return Checked(known, tensors, output, recipe, metadata.TryGetValue(ModelWeights.NumClassesKey, out var n) ? int.Parse(n, CultureInfo.InvariantCulture) : null,
                metadata.GetValueOrDefault("classes"), graph);
        }
        finally
        {
            foreach (var t in tensors.Values) t.Dispose();
        }
    }

    // Loads the tensors into the architecture (every shape checked) and writes what loaded, with the recipe if any.
    private static WeightsInfo Checked(string architecture, Dictionary<string, Tensor> tensors, string output, BertRecipe? recipe, int? numClasses, string? classNames,
        Dictionary<string, string>? shape = null)
    {
        var metadata = recipe?.ToMetadata() ?? shape ?? [];
        using var probe = ModelRegistry.Create(architecture, 2, metadata);
        var headWeight = $"{probe.HeadPrefix}.weight";
        var classes = numClasses ?? (tensors.TryGetValue(headWeight, out var head) ? (int)head.shape[0] : 0);
        using var model = ModelRegistry.Create(architecture, Math.Max(classes, 1), metadata);
        // The backbone must fit; the head is replaced by every transfer arm, but LEEP uses it when it fits too.
        WeightLoader.LoadInto(model, tensors, includeHead: classes > 0 && tensors.ContainsKey(headWeight));
        if (classNames is not null)
        {
            metadata["classes"] = classNames;
        }
        ModelWeights.Export(model, architecture, output, metadata);
        return new WeightsInfo(architecture, classes, tensors.Count, model.parameters().Sum(p => p.numel()), ParseClasses(classNames));
    }

    /// <summary>A Hugging Face BERT/MiniLM folder (model.safetensors, vocab.txt, config.json, tokenizer_config.json) → a text-bert file.</summary>
    public static WeightsInfo FromHuggingFaceFolder(string folder, string safetensorsOut)
    {
        Runtime.TorchRuntime.EnsureLoaded();
        var model = Path.Combine(folder, "model.safetensors");
        if (!File.Exists(model))
        {
            throw new ArgumentException("The Hugging Face folder has no model.safetensors (convert pytorch_model.bin with transformers' save_pretrained(safe_serialization=True)).");
        }
        var tensors = ModelWeights.Read(model);
        try
        {
            BertRecipe recipe;
            try
            {
                recipe = BertRecipe.FromHuggingFace(folder, tensors);
            }
            catch (InvalidDataException e)
            {
                throw new ArgumentException(e.Message, e);
            }
            return Checked(BertRecipe.Architecture, tensors, safetensorsOut, recipe, null, null);
        }
        finally
        {
            foreach (var t in tensors.Values) t.Dispose();
        }
    }

    // Only the folder's known files come out of the zip (flattened, size-capped): no path in an entry name is followed.
    private static WeightsInfo FromHuggingFaceZip(string zip, string safetensorsOut)
    {
        string[] wanted = ["model.safetensors", "vocab.txt", "config.json", "tokenizer_config.json"];
        var folder = Directory.CreateTempSubdirectory("transferhub-hf-").FullName;
        try
        {
            using (var archive = ZipFile.OpenRead(zip))
            {
                foreach (var entry in archive.Entries)
                {
                    var name = Path.GetFileName(entry.FullName);
                    if (!wanted.Contains(name, StringComparer.Ordinal) || File.Exists(Path.Combine(folder, name)))
                    {
                        continue;
                    }
                    var limit = name == "model.safetensors" ? MaxZipEntryBytes : MaxZipTextBytes;
                    if (entry.Length > limit)
                    {
                        throw new ArgumentException($"{name} in the zip is larger than {limit / (1 << 20)} MiB.");
                    }
                    entry.ExtractToFile(Path.Combine(folder, name));
                }
            }
            return FromHuggingFaceFolder(folder, safetensorsOut);
        }
        catch (InvalidDataException e)
        {
            throw new ArgumentException($"Not a readable zip: {e.Message}", e);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private const long MaxZipEntryBytes = 2L << 30;

    // config.json, vocab.txt and tokenizer_config.json of real models are kilobytes to a few MB; a 512 MB one
    // in a 510 KB zip once cost 2.9 GB of memory.
    private const long MaxZipTextBytes = 16L << 20;

    /// <summary>The largest head a .dat may claim: the head is allocated before the file is read (ResNet-50 × 100 000 classes was 900 MB).</summary>
    public const int MaxClasses = 10_000;

    private static bool IsZip(string path)
    {
        using var file = File.OpenRead(path);
        Span<byte> head = stackalloc byte[4];
        return file.Read(head) == 4 && head.SequenceEqual("PK\u0003\u0004"u8);
    }

    private static WeightsInfo FromDat(string path, string architecture, int numClasses, string output)
    {
        var known = Known(architecture);
        if (numClasses is < 1 or > MaxClasses)
        {
            throw new ArgumentException($"numClasses must be between 1 and {MaxClasses}.");
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
        ModelWeights.Export(model, known, output);
        return new WeightsInfo(known, numClasses, model.state_dict().Count, model.parameters().Sum(p => p.numel()), null);
    }


    private static string Known(string architecture) =>
        ModelRegistry.Names.FirstOrDefault(n => n.Equals(architecture.Trim(), StringComparison.OrdinalIgnoreCase))
        ?? throw new ArgumentException($"Unknown architecture '{architecture}'. Architectures: {string.Join(", ", ModelRegistry.Names)}.");

    private static IReadOnlyList<string>? ParseClasses(string? json)
    {
        try
        {
            return json is null ? null : System.Text.Json.JsonSerializer.Deserialize<List<string>>(json);
        }
        catch (System.Text.Json.JsonException e)
        {
            throw new ArgumentException("The weights' \"classes\" metadata must be a JSON list of class names.", e);
        }
    }

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
