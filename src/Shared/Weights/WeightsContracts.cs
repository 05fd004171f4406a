namespace TransferHub.Shared.Weights;

/// <summary>Pretrained weights imported as a transfer source: checked against their architecture, stored as safetensors. <c>Check</c>
/// says what the import verified beyond shapes: for an ONNX model, its agreement with ONNX Runtime.</summary>
public sealed record PretrainedWeightsDto(Guid Id, string Name, string Architecture, int NumClasses, int Tensors, long Parameters,
    string Sha256, long SizeBytes, string OriginalFormat, string ImportedBy, DateTimeOffset ImportedAt, string? Check = null);
