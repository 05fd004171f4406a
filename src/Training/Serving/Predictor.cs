using System.Globalization;
using System.Text.Json;
using TransferHub.Shared.Registry;
using TransferHub.Training.Data;
using TransferHub.Training.Models;
using TransferHub.Training.Weights;
using static TorchSharp.torch;

namespace TransferHub.Training.Serving;

/// <summary>
/// A trained model loaded for inference on the CPU: the architecture named in the weights' metadata, every
/// tensor loaded (head included), eval mode, inputs preprocessed exactly as in training.
/// </summary>
public sealed class Predictor : ILoadedModel
{
    /// <summary>Text models read this many tokens, as in training (<see cref="JsonlText.Load"/>).</summary>
    public const int MaxTokens = 128;

    private readonly ClassifierModel _model;
    private readonly ITextTokenizer? _tokenizer;
    private readonly IReadOnlyDictionary<string, string> _metadata;
    // One forward at a time: TorchSharp modules are not documented as thread-safe, and batching recovers throughput.
    private readonly Lock _gate = new();

    private Predictor(ClassifierModel model, string architecture, IReadOnlyList<string> classes, ITextTokenizer? tokenizer, IReadOnlyDictionary<string, string> metadata)
    {
        _model = model;
        _tokenizer = tokenizer;
        _metadata = metadata;
        Architecture = architecture;
        Classes = classes;
    }

    public string Architecture { get; }
    public IReadOnlyList<string> Classes { get; }
    public bool IsText => ModelRegistry.IsText(Architecture);

    public static Predictor Load(byte[] safetensors)
    {
        var metadata = new Dictionary<string, string>();
        Dictionary<string, Tensor> weights;
        using (var stream = new MemoryStream(safetensors, writable: false))
        {
            weights = SafeTensors.Read(stream, metadata);
        }
        try
        {
            var (architecture, classes) = Describe(metadata);
            var model = ModelRegistry.Create(architecture, classes.Length, metadata);
            WeightLoader.LoadInto(model, weights.ToDictionary(kv => ModelWeights.NormaliseName(kv.Key), kv => kv.Value), includeHead: true);
            model.eval();
            return new Predictor(model, architecture, classes, ModelRegistry.IsText(architecture) ? ModelRegistry.TokenizerFor(architecture, metadata) : null, metadata);
        }
        finally
        {
            foreach (var t in weights.Values)
            {
                t.Dispose();
            }
        }
    }

    /// <summary>The architecture and class names a model file's metadata gives (numbered when it names none).</summary>
    internal static (string Architecture, string[] Classes) Describe(IReadOnlyDictionary<string, string> metadata)
    {
        var architecture = metadata.GetValueOrDefault(ModelWeights.ArchitectureKey) ?? throw new InvalidDataException("The weights name no architecture.");
        var count = int.Parse(metadata.GetValueOrDefault(ModelWeights.NumClassesKey) ?? throw new InvalidDataException("The weights name no class count."), CultureInfo.InvariantCulture);
        var classes = metadata.TryGetValue("classes", out var json) ? JsonSerializer.Deserialize<string[]>(json) ?? [] : [];
        return (architecture, classes.Length == count ? classes : [.. Enumerable.Range(0, count).Select(i => i.ToString(CultureInfo.InvariantCulture))]);
    }

    public IReadOnlyList<ModelOutput> PredictImages(IReadOnlyList<byte[]> images, int imageSize)
    {
        if (IsText)
        {
            throw new InvalidOperationException("This model reads texts.");
        }
        var plane = 3 * imageSize * imageSize;
        var pixels = new float[images.Count * plane];
        for (var i = 0; i < images.Count; i++)
        {
            ImageFolder.Decode(images[i], imageSize, pixels.AsSpan(i * plane, plane));
        }
        return Forward(() => tensor(pixels, [images.Count, 3, imageSize, imageSize]), images.Count);
    }

    public IReadOnlyList<ModelOutput> PredictTexts(IReadOnlyList<string> texts)
    {
        if (!IsText)
        {
            throw new InvalidOperationException("This model reads images.");
        }
        var ids = new long[texts.Count * MaxTokens];
        for (var i = 0; i < texts.Count; i++)
        {
            _tokenizer!.Encode(texts[i], MaxTokens).CopyTo(ids, i * MaxTokens);
        }
        return Forward(() => tensor(ids, [texts.Count, MaxTokens]), texts.Count);
    }

    private List<ModelOutput> Forward(Func<Tensor> inputs, int count)
    {
        if (count == 0)
        {
            return [];
        }
        lock (_gate)
        {
            using var scope = NewDisposeScope();
            using var _ = no_grad();
            var features = _model.Features(inputs());
            var probabilities = nn.functional.softmax(_model.Head.forward(features), 1);
            var p = probabilities.data<float>().ToArray();
            var f = features.data<float>().ToArray();
            var classes = (int)probabilities.shape[1];
            var dim = (int)features.shape[1];
            return [.. Enumerable.Range(0, count).Select(i => new ModelOutput(p[(i * classes)..((i + 1) * classes)], f[(i * dim)..((i + 1) * dim)]))];
        }
    }

    /// <summary>The loaded model as ONNX, checked against ONNX Runtime (see <see cref="Models.Onnx.OnnxExport"/>).</summary>
    public Models.Onnx.OnnxExported ExportOnnx(int imageSize)
    {
        lock (_gate)
        {
            return Models.Onnx.OnnxExport.Export(_model, Architecture, imageSize, _metadata);
        }
    }

    /// <summary>Writes the loaded model in TorchSharp's format, for .NET users who load with <c>Module.load</c>.</summary>
    public byte[] SaveTorchSharp()
    {
        using var buffer = new MemoryStream();
        lock (_gate)
        {
            _model.save(buffer);
        }
        return buffer.ToArray();
    }

    public void Dispose() => _model.Dispose();
}

/// <summary>The engine's <see cref="IModelLoader"/>, for the web to wire into serving.</summary>
/// <param name="onnxRuntime">Serve with ONNX Runtime (exported at load) instead of TorchSharp.</param>
public sealed class PredictorLoader(bool onnxRuntime = false) : IModelLoader
{
    public ILoadedModel Load(byte[] safetensors) => onnxRuntime ? OnnxRuntimePredictor.Load(safetensors) : Predictor.Load(safetensors);

    public ILoadedModel LoadOnnx(byte[] onnx) => OnnxRuntimePredictor.FromOnnx(onnx);

    // The check travels as an HTTP header: ASCII only.
    public (byte[] Model, string Check) ToOnnx(byte[] safetensors, int imageSize)
    {
        using var predictor = Predictor.Load(safetensors);
        if (!Models.Onnx.OnnxExport.Supports(predictor.Architecture))
        {
            throw new NotSupportedException($"ONNX export is not available for {predictor.Architecture}.");
        }
        var exported = predictor.ExportOnnx(imageSize);
        return (exported.Model, string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"ONNX Runtime vs TorchSharp on {exported.Probe}: max abs difference {exported.MaxAbsDifference:G3}, relative {exported.RelativeDifference:G3}"));
    }

    public byte[] ToTorchSharp(byte[] safetensors)
    {
        using var predictor = Predictor.Load(safetensors);
        return predictor.SaveTorchSharp();
    }
}
