using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using TransferHub.Shared.Registry;
using TransferHub.Training.Data;
using TransferHub.Training.Weights;

namespace TransferHub.Training.Serving;

/// <summary>
/// Serves a model with ONNX Runtime: the model is exported once at load (checked against TorchSharp, see
/// <see cref="Models.Onnx.OnnxExport"/>), after which predictions touch no libtorch. Preprocessing is training's
/// (<see cref="ImageFolder.Decode"/> for images, the model's tokenizer for texts); outputs are the same probabilities and
/// penultimate features as <see cref="Predictor"/>'s.
/// </summary>
public sealed class OnnxRuntimePredictor : ILoadedModel
{
    /// <summary>The image size the export is checked at (the graph itself takes any size).</summary>
    public const int CheckSize = 32;

    private readonly InferenceSession _session;
    private readonly ITextTokenizer? _tokenizer;

    private OnnxRuntimePredictor(InferenceSession session, string architecture, IReadOnlyList<string> classes, ITextTokenizer? tokenizer)
    {
        _session = session;
        _tokenizer = tokenizer;
        Architecture = architecture;
        Classes = classes;
    }

    public string Architecture { get; }
    public IReadOnlyList<string> Classes { get; }
    public bool IsText => _tokenizer is not null;

    /// <summary>The model behind <paramref name="safetensors"/> on ONNX Runtime; architectures without an ONNX writer stay
    /// on TorchSharp (<see cref="Predictor"/>).</summary>
    public static ILoadedModel Load(byte[] safetensors)
    {
        var predictor = Predictor.Load(safetensors);
        if (!Models.Onnx.OnnxExport.Supports(predictor.Architecture))
        {
            return predictor;
        }
        using (predictor)
        {
            // The export carries the weights' metadata, so it loads as a stored export does: one path.
            return FromOnnx(predictor.ExportOnnx(CheckSize).Model);
        }
    }

    /// <summary>
    /// A model from an ONNX file this engine exported (its metadata names the architecture, the classes and a text model's
    /// tokenizer) — no libtorch is loaded, so a node that only serves needs none (see the README's serving-only node).
    /// </summary>
    /// <exception cref="InvalidDataException">Not an ONNX model, or one TransferHub did not write.</exception>
    public static OnnxRuntimePredictor FromOnnx(byte[] onnx)
    {
        InferenceSession session;
        try
        {
            session = new InferenceSession(onnx, new SessionOptions { LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR });
        }
        catch (OnnxRuntimeException e)
        {
            throw new InvalidDataException($"Not a loadable ONNX model: {e.Message}", e);
        }
        try
        {
            var metadata = session.ModelMetadata.CustomMetadataMap;
            if (!metadata.ContainsKey(ModelWeights.ArchitectureKey))
            {
                throw new InvalidDataException("This ONNX model was not exported by TransferHub: its metadata names no architecture and classes.");
            }
            var (architecture, classes) = Predictor.Describe(metadata);
            var tokenizer = Models.ModelRegistry.IsText(architecture) ? Models.ModelRegistry.TokenizerFor(architecture, metadata) : null;
            return new OnnxRuntimePredictor(session, architecture, classes, tokenizer);
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    public IReadOnlyList<ModelOutput> PredictImages(IReadOnlyList<byte[]> images, int imageSize)
    {
        if (IsText)
        {
            throw new InvalidOperationException("This model reads texts.");
        }
        if (images.Count == 0)
        {
            return [];
        }
        var plane = 3 * imageSize * imageSize;
        var pixels = new float[images.Count * plane];
        for (var i = 0; i < images.Count; i++)
        {
            ImageFolder.Decode(images[i], imageSize, pixels.AsSpan(i * plane, plane));
        }
        var input = new DenseTensor<float>(pixels, [images.Count, 3, imageSize, imageSize]);
        return Run(NamedOnnxValue.CreateFromTensor(Models.Onnx.OnnxExport.ImageInput, input), images.Count);
    }

    public IReadOnlyList<ModelOutput> PredictTexts(IReadOnlyList<string> texts)
    {
        if (_tokenizer is null)
        {
            throw new InvalidOperationException("This model reads images.");
        }
        if (texts.Count == 0)
        {
            return [];
        }
        var ids = new long[texts.Count * Predictor.MaxTokens];
        for (var i = 0; i < texts.Count; i++)
        {
            _tokenizer.Encode(texts[i], Predictor.MaxTokens).CopyTo(ids, i * Predictor.MaxTokens);
        }
        var tokens = Predictor.MaxTokens;
        if (_tokenizer is WordPieceText wordPiece) // text-bert
        {
            // BERT masks padding, so trailing columns no row uses can go (as TextBert.Features does): short texts stay cheap.
            // The convolutional and bag models read all MaxTokens, as in training.
            (ids, tokens) = TrimPadding(ids, texts.Count, wordPiece.PadId);
        }
        return Run(NamedOnnxValue.CreateFromTensor(Models.Onnx.OnnxExport.TextInput, new DenseTensor<long>(ids, [texts.Count, tokens])), texts.Count);
    }

    private static (long[] Ids, int Tokens) TrimPadding(long[] ids, int rows, long pad)
    {
        var used = 1;
        for (var r = 0; r < rows; r++)
            for (var t = Predictor.MaxTokens - 1; t >= used; t--)
                if (ids[r * Predictor.MaxTokens + t] != pad) { used = t + 1; break; }
        var trimmed = new long[rows * used];
        for (var r = 0; r < rows; r++) Array.Copy(ids, r * Predictor.MaxTokens, trimmed, r * used, used);
        return (trimmed, used);
    }

    private List<ModelOutput> Run(NamedOnnxValue input, int count)
    {
        using var results = _session.Run([input]); // thread-safe: no lock
        var logits = results.First(r => r.Name == "logits").AsTensor<float>();
        var features = results.First(r => r.Name == "features").AsTensor<float>();
        var classes = (int)logits.Dimensions[1];
        var dim = (int)features.Dimensions[1];
        var outputs = new List<ModelOutput>(count);
        for (var i = 0; i < count; i++)
        {
            var row = new float[classes];
            var max = float.NegativeInfinity;
            for (var c = 0; c < classes; c++) max = Math.Max(max, logits[i, c]);
            var sum = 0.0;
            for (var c = 0; c < classes; c++) sum += row[c] = MathF.Exp(logits[i, c] - max);
            for (var c = 0; c < classes; c++) row[c] = (float)(row[c] / sum);
            var embedding = new float[dim];
            for (var d = 0; d < dim; d++) embedding[d] = features[i, d];
            outputs.Add(new ModelOutput(row, embedding));
        }
        return outputs;
    }

    public void Dispose() => _session.Dispose();
}
