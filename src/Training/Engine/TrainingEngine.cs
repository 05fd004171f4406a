using TransferHub.Shared.Registry;
using TransferHub.Shared.Training;
using TransferHub.Training.Data;
using TransferHub.Training.Models;
using TransferHub.Training.Models.Bert;
using TransferHub.Training.Serving;
using TransferHub.Training.Weights;
using TransferHub.Training.Worker;

namespace TransferHub.Training.Engine;

/// <summary>The engine behind <see cref="ITrainingEngine"/>: a thin map onto the registry, the weights importer and the scorer.</summary>
public sealed class TrainingEngine : ITrainingEngine
{
    public IReadOnlyCollection<string> Architectures => ModelRegistry.Names;

    public bool IsText(string architecture) => ModelRegistry.IsText(architecture);

    public InputSpec InputFor(string architecture, int imageSize) => IsText(architecture)
        ? new InputSpec("text", null, 0, $"lower-cased words hashed into {JsonlText.DefaultBuckets} buckets, first {Predictor.MaxTokens} tokens")
        : new InputSpec("image", imageSize, 3, $"RGB resized to {imageSize}×{imageSize}, ImageNet mean/std");

    public bool ShapeComesWithWeights(string architecture) => BertRecipe.Applies(architecture) || NeedsSource(architecture);

    public bool ExportsOnnx(string architecture) => Models.Onnx.OnnxExport.Supports(architecture);

    public bool NeedsSource(string architecture) => Models.Onnx.OnnxGraphSpec.Applies(architecture);

    public WeightsInfo ImportWeights(string path, string? architecture, int? numClasses, string safetensorsOut, OnnxImportOptions? onnx = null)
    {
        try
        {
            return WeightsImport.Import(path, architecture, numClasses, safetensorsOut, onnx);
        }
        catch (Exception e) when (e is ArgumentException or InvalidDataException or WeightMismatchException or FormatException)
        {
            throw new InvalidWeightsException(e.Message, e);
        }
    }

    public TransferabilityScores Score(string data, string sourceWeights, int imageSize, string cacheDir) =>
        LocalTraining.Score(data, sourceWeights, imageSize, cacheDir);

    public IReadOnlyList<(string Label, byte[] Png)> SampleImages(int count, int seed) => SampleAssets.ShapeImages(count, seed);

    public (IReadOnlyList<string> Labels, int ImageSize) SampleShape => (SampleAssets.ShapeNames, SampleAssets.ImageSize);

    public void DeleteFolder(string folder) => RunExecutor.TryDelete(folder);
}
