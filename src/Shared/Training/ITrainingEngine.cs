namespace TransferHub.Shared.Training;

/// <summary>
/// The training engine as the web sees it: which architectures exist and what they read, checking weights, scoring a
/// source before training, and clean-up. Nothing here trains: training runs in the training program's own processes
/// (the worker protocol, or the sample's <c>sample-source</c> command), never in the web's. This is
/// the one seam the web's features use, so pages and services never depend on the engine's internals.
/// </summary>
public interface ITrainingEngine
{
    /// <summary>Architecture names the engine can build.</summary>
    IReadOnlyCollection<string> Architectures { get; }

    /// <summary>Whether the architecture reads text (token ids) rather than images.</summary>
    bool IsText(string architecture);

    /// <summary>What a model of the architecture reads, and how its input is preprocessed (shown on the model card).</summary>
    Registry.InputSpec InputFor(string architecture, int imageSize);

    /// <summary>Whether the architecture's shape (width, depth, vocabulary) comes with its weights (BERT-family encoders).</summary>
    bool ShapeComesWithWeights(string architecture);

    /// <summary>Whether a trained model of the architecture can be downloaded as ONNX.</summary>
    bool ExportsOnnx(string architecture);

    /// <summary>Whether the architecture exists only through an imported source (an ONNX graph): no arm can build it without one.</summary>
    bool NeedsSource(string architecture);

    /// <summary>Checks an uploaded weights file against its architecture and writes it as safetensors.</summary>
    /// <exception cref="InvalidWeightsException">The file is not weights, or does not fit the architecture (the message says which).</exception>
    /// <remarks>For an .onnx file, <c>onnx</c> gives its input convention and where its backbone ends (torchvision's, found automatically, by default).</remarks>
    WeightsInfo ImportWeights(string path, string? architecture, int? numClasses, string safetensorsOut, OnnxImportOptions? onnx = null);

    /// <summary>LogME and LEEP of a source for the training split of data laid out as for a run (seconds, no training).</summary>
    TransferabilityScores Score(string data, string sourceWeights, int imageSize, string cacheDir);

    /// <summary>The sample project's generated images: (label, PNG) pairs.</summary>
    IReadOnlyList<(string Label, byte[] Png)> SampleImages(int count, int seed);

    /// <summary>The sample project's label names and image size.</summary>
    (IReadOnlyList<string> Labels, int ImageSize) SampleShape { get; }

    /// <summary>Deletes a work folder, ignoring files another process still holds.</summary>
    void DeleteFolder(string folder);
}

/// <summary>What an imported weights file holds, once checked against its architecture; <c>Check</c> is what the import verified
/// beyond shapes (an ONNX graph: its agreement with ONNX Runtime).</summary>
public sealed record WeightsInfo(string Architecture, int NumClasses, int Tensors, long Parameters, IReadOnlyList<string>? Classes, string? Check = null);

/// <summary>How to read an imported ONNX image model: what input it expects and where its backbone ends.</summary>
/// <param name="FeatureOutput">The value the new head sits on; by default the input of the last Gemm/MatMul, else the graph's output.</param>
/// <param name="Bgr">Whether the graph takes its channels in BGR order.</param>
/// <param name="PixelScale">What a white pixel is worth before normalisation (1, or 255 for Caffe/CNTK-style models).</param>
/// <param name="Mean">Per-channel mean subtracted after scaling (ImageNet's by default).</param>
/// <param name="Std">Per-channel divisor after the mean (ImageNet's by default).</param>
public sealed record OnnxImportOptions(string? FeatureOutput = null, bool Bgr = false, double PixelScale = 1, double[]? Mean = null, double[]? Std = null);

/// <summary>LogME and LEEP scores of a source model for a target training set, computed in one forward pass.</summary>
public sealed record TransferabilityScores(double LogMe, double Leep);

/// <summary>Weights that are not weights, or do not fit their architecture.</summary>
public sealed class InvalidWeightsException(string message, Exception? inner = null) : Exception(message, inner);
