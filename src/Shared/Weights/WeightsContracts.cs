namespace TransferHub.Shared.Weights;

/// <summary>Pretrained weights imported as a transfer source: checked against their architecture, stored as safetensors. <c>Check</c>
/// says what the import verified beyond shapes: for an ONNX model, its agreement with ONNX Runtime.</summary>
public sealed record PretrainedWeightsDto(Guid Id, string Name, string Architecture, int NumClasses, int Tensors, long Parameters,
    string Sha256, long SizeBytes, string OriginalFormat, string ImportedBy, DateTimeOffset ImportedAt, string? Check = null);

/// <summary>Body of <c>POST /api/weights/hub</c>: a Hub repository to import (<c>owner/name</c>), its revision (default
/// <c>main</c>), which file (default: the BERT folder, else <c>model.safetensors</c>, else the one safetensors or ONNX file),
/// a display name, and the architecture when the file does not say (the catalog knows it for its models).</summary>
public sealed record HubImportRequest(string Repo, string? Revision = null, string? File = null, string? Name = null, string? Architecture = null);

/// <summary>A Hub model known to load one to one into an architecture here, with the input it expects;
/// <paramref name="InOfflineFolder"/> when this node's offline folder holds it (it imports without a download).</summary>
public sealed record HubCatalogEntry(string Repo, string Architecture, string Description, string Input, bool InOfflineFolder = false);
