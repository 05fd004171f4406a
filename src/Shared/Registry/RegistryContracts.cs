using TransferHub.Shared.Statistics;
using TransferHub.Shared.Training;

namespace TransferHub.Shared.Registry;

/// <summary>Where a model version stands. A model has at most one <see cref="Production"/> version.</summary>
public enum ModelStage
{
    /// <summary>Registered, not in use.</summary>
    None,
    /// <summary>Being evaluated before production.</summary>
    Staging,
    /// <summary>Answers the model's <c>production</c> alias.</summary>
    Production,
    /// <summary>Retired; a former production version stays one call from rollback.</summary>
    Archived,
}

/// <summary>Body of <c>POST /api/projects/{projectId}/models</c>: registers a finished run as version 1 of a new model, or as the next version of an existing one.</summary>
/// <param name="Name">Unique within the project.</param>
/// <param name="RunId">A succeeded run of the project.</param>
/// <param name="Description">Markdown.</param>
/// <param name="Tags">Free tags, e.g. <c>team:vision</c>.</param>
/// <param name="MetricThreshold">Minimum test macro-F1 a version needs to reach production.</param>
/// <param name="KeepRawInputs">Whether served inputs are kept, so they can be sent to labeling.</param>
public sealed record RegisterModelRequest(string Name, Guid RunId, string? Description = null, IReadOnlyList<string>? Tags = null,
    double? MetricThreshold = null, bool? KeepRawInputs = null);

/// <summary>Body of <c>POST /api/models/{model}/versions</c>: a finished run becomes the model's next version.</summary>
public sealed record RegisterVersionRequest(Guid RunId);

/// <summary>Body of <c>PUT /api/models/{model}</c>: the editable parts of a model (versions never change).</summary>
public sealed record UpdateModelRequest(string? Description, IReadOnlyList<string>? Tags, double? MetricThreshold, bool? KeepRawInputs, DriftSettings? Drift,
    double? AgreementThreshold = null);

/// <summary>How inputs must look: an image resized to <c>ImageSize</c> and ImageNet-normalised, or text hashed into tokens.</summary>
public sealed record InputSpec(string Kind, int? ImageSize, int Channels, string Preprocessing);

/// <summary>
/// Drift thresholds of a model; defaults follow common practice (PSI 0.1/0.2, p 0.05/0.01). <c>Window</c>: how many of the
/// latest predictions are compared with the reference; <c>MinSamples</c>: below this many predictions (or reference items)
/// the monitor says "not enough data"; <c>LowConfidence</c>: predictions below it count as uncertain.
/// </summary>
public sealed record DriftSettings(int Window = 500, int MinSamples = 30, double PsiWarning = 0.1, double PsiDrift = 0.2,
    double PWarning = 0.05, double PDrift = 0.01, double LowConfidence = 0.6);

/// <summary>One immutable version of a registered model, with everything needed to reproduce and judge it.
/// <c>OnnxSha256</c>/<c>OnnxCheck</c>: its ONNX export stored at registration and what ONNX Runtime's check of it
/// measured (null where none was stored: served from the weights).</summary>
public sealed record ModelVersionDto(
    Guid Id, Guid ModelId, int Version, ModelStage Stage,
    string ArtifactKey, string Sha256, long SizeBytes,
    string Architecture, IReadOnlyList<string> Labels, InputSpec Input, TrainingJobSpec Hyperparameters,
    ClassificationMetrics? TestMetrics, Guid ExperimentId, string ExperimentName, Guid RunId, string Arm, int Seed, TransferVerdict? Verdict,
    Guid DatasetVersionId, string DatasetVersionHash, Guid? SourceModelVersionId, Guid? SourceRunId, string? SourceWeightsSha256,
    bool HasReferenceProfile, string RegisteredBy, DateTimeOffset RegisteredAt, string? VerdictReason = null,
    string? OnnxSha256 = null, string? OnnxCheck = null);

/// <summary>An example to try a version on: an item of its own test split (validation when the test split is empty), with its labels.</summary>
public sealed record ModelExampleDto(Guid ItemId, string? FileName, string? Text, IReadOnlyList<string> Labels);

/// <summary>A registered model with its versions, newest first.</summary>
public sealed record ModelDto(
    Guid Id, Guid ProjectId, string ProjectName, string Name, string? Description, IReadOnlyList<string> Tags, double? MetricThreshold,
    double? AgreementThreshold, bool KeepRawInputs, DriftSettings Drift, int? ProductionVersion, DateTimeOffset CreatedAt, IReadOnlyList<ModelVersionDto> Versions);

/// <summary>A model as listed: its latest version and production version.</summary>
public sealed record ModelSummaryDto(Guid Id, Guid ProjectId, string ProjectName, string Name, IReadOnlyList<string> Tags,
    int LatestVersion, int? ProductionVersion, string? DriftStatus, DateTimeOffset CreatedAt);

/// <summary>A node of the lineage graph: a model version, a training run, a dataset version or a weights file.</summary>
public sealed record LineageNode(string Id, string Kind, string Label);

/// <summary>An edge of the lineage graph, from what was used to what it produced.</summary>
public sealed record LineageEdge(string From, string To, string Relation);

/// <summary>The chain of transfers behind a model version, as a graph.</summary>
public sealed record LineageDto(IReadOnlyList<LineageNode> Nodes, IReadOnlyList<LineageEdge> Edges);

/// <summary>Body of <c>POST /api/models/{model}/versions/{version}/transitions</c>. Production becomes an approval request.</summary>
public sealed record TransitionRequest(ModelStage Stage, string? Comment);

/// <summary>What a transition did: the version as it is now, and the approval request when production was asked for.</summary>
public sealed record TransitionResultDto(ModelVersionDto Version, ApprovalDto? Approval);

/// <summary>State of an approval request.</summary>
public enum ApprovalStatus
{
    /// <summary>Waiting for an Approver.</summary>
    Pending,
    /// <summary>Approved; the version was promoted.</summary>
    Approved,
    /// <summary>Rejected by an Approver.</summary>
    Rejected,
    /// <summary>Superseded: the version was promoted or archived another way, or production changed since.</summary>
    Withdrawn,
}

/// <summary>One policy check of an approval request's evidence bundle; the outcome is <c>passed</c>, <c>failed</c> or <c>not applicable</c>.</summary>
public sealed record PolicyCheck(string Name, PolicyOutcome Outcome, string Detail);

/// <summary>A policy check's outcome (sent and stored as "passed", "failed" or "not applicable", as before it was typed).</summary>
[System.Text.Json.Serialization.JsonConverter(typeof(System.Text.Json.Serialization.JsonStringEnumConverter<PolicyOutcome>))]
public enum PolicyOutcome
{
    /// <summary>The version meets the policy.</summary>
    [System.Text.Json.Serialization.JsonStringEnumMemberName("passed")] Passed,
    /// <summary>The version does not meet it: production is refused.</summary>
    [System.Text.Json.Serialization.JsonStringEnumMemberName("failed")] Failed,
    /// <summary>The policy does not apply (no threshold set, nothing to judge).</summary>
    [System.Text.Json.Serialization.JsonStringEnumMemberName("not applicable")] NotApplicable,
}

/// <summary>A request to move a version to production, with the evidence the approver decides on.</summary>
public sealed record ApprovalDto(
    Guid Id, Guid ModelId, string ModelName, Guid VersionId, int Version, ApprovalStatus Status,
    string RequestedBy, string? Comment, DateTimeOffset RequestedAt, int? ProductionVersionAtRequest,
    IReadOnlyList<PolicyCheck> Checks, bool AllChecksPassed,
    string? DecidedBy, string? DecisionComment, DateTimeOffset? DecidedAt);

/// <summary>Body of <c>POST /api/approvals/{approvalId}/approve|reject</c>.</summary>
public sealed record DecisionRequest(string? Comment);

/// <summary>One line of a model's append-only audit log.</summary>
public sealed record AuditEntryDto(long Sequence, DateTimeOffset At, string Actor, string Action, int? Version, string Detail);
