using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using TransferHub.Shared.Registry;
using TransferHub.Training.Data;

namespace TransferHub.Training.Serving;

/// <summary>
/// Serves an image model with ONNX Runtime: the model is exported once at load (checked against TorchSharp, see
/// <see cref="Models.Onnx.OnnxExport"/>), after which predictions touch no libtorch. Preprocessing is the training
/// loader's (<see cref="ImageFolder.Decode"/>); outputs are the same probabilities and penultimate features as
/// <see cref="Predictor"/>'s.
/// </summary>
public sealed class OnnxRuntimePredictor : ILoadedModel
{
    /// <summary>The image size the export is checked at (the graph itself takes any size).</summary>
    public const int CheckSize = 32;

    private readonly InferenceSession _session;

    private OnnxRuntimePredictor(InferenceSession session, string architecture, IReadOnlyList<string> classes)
    {
        _session = session;
        Architecture = architecture;
        Classes = classes;
    }

    public string Architecture { get; }
    public IReadOnlyList<string> Classes { get; }
    public bool IsText => false;

    /// <summary>The model behind <paramref name="safetensors"/> on ONNX Runtime; text models and architectures without an
    /// ONNX writer stay on TorchSharp (<see cref="Predictor"/>).</summary>
    public static ILoadedModel Load(byte[] safetensors)
    {
        var predictor = Predictor.Load(safetensors);
        if (predictor.IsText || !Models.Onnx.OnnxExport.Supports(predictor.Architecture))
        {
            return predictor;
        }
        using (predictor)
        {
            var exported = predictor.ExportOnnx(CheckSize);
            var options = new SessionOptions { LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR };
            return new OnnxRuntimePredictor(new InferenceSession(exported.Model, options), predictor.Architecture, predictor.Classes);
        }
    }

    public IReadOnlyList<ModelOutput> PredictImages(IReadOnlyList<byte[]> images, int imageSize)
    {
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
        using var results = _session.Run([NamedOnnxValue.CreateFromTensor("image", input)]); // thread-safe: no lock
        var logits = results.First(r => r.Name == "logits").AsTensor<float>();
        var features = results.First(r => r.Name == "features").AsTensor<float>();
        var classes = (int)logits.Dimensions[1];
        var dim = (int)features.Dimensions[1];
        var outputs = new List<ModelOutput>(images.Count);
        for (var i = 0; i < images.Count; i++)
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

    public IReadOnlyList<ModelOutput> PredictTexts(IReadOnlyList<string> texts) =>
        throw new InvalidOperationException("This model reads images.");

    public void Dispose() => _session.Dispose();
}
