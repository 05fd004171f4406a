namespace TransferHub.Shared.Registry;

/// <summary>Body of a text prediction: one text or a batch.</summary>
public sealed record PredictTextRequest(string? Text, IReadOnlyList<string>? Texts);

/// <summary>One answer: the predicted label, its probability and every label's probability.</summary>
public sealed record PredictionDto(string Label, double Confidence, IReadOnlyDictionary<string, double> Probabilities);

/// <summary>What <c>/predict</c> returns: which version answered, and one prediction per input in order.</summary>
public sealed record PredictResponse(string Model, int Version, ModelStage Stage, IReadOnlyList<PredictionDto> Predictions);

/// <summary>Raw output of a model for one input: class probabilities and the penultimate-layer features.</summary>
public sealed record ModelOutput(float[] Probabilities, float[] Embedding);

/// <summary>A loaded model, ready to predict; implemented by the engine, used by serving (thread-safe).</summary>
public interface ILoadedModel : IDisposable
{
    /// <summary>Architecture named in the weights.</summary>
    string Architecture { get; }

    /// <summary>Class names in output order.</summary>
    IReadOnlyList<string> Classes { get; }

    /// <summary>Whether the model reads texts rather than images.</summary>
    bool IsText { get; }

    /// <summary>Predicts encoded images (PNG, JPEG…), preprocessed as in training; throws <see cref="InvalidDataException"/> for an undecodable one.</summary>
    IReadOnlyList<ModelOutput> PredictImages(IReadOnlyList<byte[]> images, int imageSize);

    /// <summary>Predicts texts, tokenised as in training.</summary>
    IReadOnlyList<ModelOutput> PredictTexts(IReadOnlyList<string> texts);
}

/// <summary>Loads safetensors weights written by the engine into a model that can predict.</summary>
public interface IModelLoader
{
    /// <summary>Builds the architecture named in the file's metadata and loads every tensor, head included.</summary>
    ILoadedModel Load(byte[] safetensors);

    /// <summary>An ONNX file <see cref="ToOnnx"/> wrote, served by ONNX Runtime alone: no libtorch is loaded.</summary>
    /// <exception cref="InvalidDataException">Not an ONNX model, or one without TransferHub's metadata.</exception>
    ILoadedModel LoadOnnx(byte[] onnx);

    /// <summary>The model as ONNX (opset 17, dynamic batch, the weights' metadata as its metadata_props) and what ONNX
    /// Runtime's check of it measured: run next to the model on the same random batch (<paramref name="imageSize"/> images,
    /// or token ids), refused (<see cref="InvalidDataException"/>) beyond 1e-4 relative. <see cref="NotSupportedException"/>
    /// for an architecture without a writer.</summary>
    (byte[] Model, string Check) ToOnnx(byte[] safetensors, int imageSize);

    /// <summary>The same weights in TorchSharp's own format (<c>Module.load</c> on the same architecture reads them).</summary>
    byte[] ToTorchSharp(byte[] safetensors);
}

/// <summary>Body of <c>POST /api/models/{model}/drift/send-to-labeling</c>.</summary>
/// <param name="DatasetId">Target dataset; the training dataset of the answering version when omitted.</param>
/// <param name="MaxConfidence">Send predictions below this confidence; the model's low-confidence setting when omitted.</param>
/// <param name="DriftedOnly">Only predictions of the window that the last drift run judged.</param>
/// <param name="Limit">At most this many items (default 200).</param>
public sealed record SendToLabelingRequest(Guid? DatasetId = null, double? MaxConfidence = null, bool? DriftedOnly = null, int? Limit = null);

/// <summary>What sending to labeling did.</summary>
public sealed record SendToLabelingResult(Guid DatasetId, int Added, int AlreadyInDataset, int WithoutRawInput);

/// <summary>One drift test on a window: its statistic, p-value where it has one, and its status (<c>ok</c>, <c>warning</c>, <c>drift</c> or <c>not enough data</c>).</summary>
public sealed record DriftTestDto(string Name, string Feature, double? Statistic, double? PValue, string Status, string Detail);

/// <summary>A drift run: the window it judged, each test and the overall status.</summary>
public sealed record DriftReportDto(Guid Id, Guid ModelId, int Version, DateTimeOffset At, string Status, int WindowSize, int ReferenceSize,
    IReadOnlyList<DriftTestDto> Tests);

/// <summary>A model's drift status now and its history (oldest first), for the timeline.</summary>
public sealed record DriftOverviewDto(string Status, DriftReportDto? Latest, IReadOnlyList<DriftReportDto> History, int LoggedPredictions);
