namespace TransferHub.Shared.Datasets;

/// <summary>What the items of a dataset are.</summary>
public enum DatasetKind
{
    /// <summary>Images (PNG, JPEG, WebP, BMP, GIF).</summary>
    Image,
    /// <summary>Short texts.</summary>
    Text,
}

/// <summary>How many labels an item takes.</summary>
public enum LabelTask
{
    /// <summary>Exactly one label per item.</summary>
    SingleLabel,
    /// <summary>Any number of labels per item.</summary>
    MultiLabel,
}

/// <summary>A label of a dataset's label set.</summary>
public sealed record LabelDto(Guid Id, string Name, string Color, string? Shortcut, string? Description, int Order);

/// <summary>A label to create or change; <paramref name="Shortcut"/> is one key (a digit or a letter other than the labeling page's own keys).</summary>
public sealed record LabelRequest(string Name, string? Color, string? Shortcut, string? Description);

/// <summary>A dataset as the API returns it, with progress counts.</summary>
public sealed record DatasetDto(
    Guid Id, Guid ProjectId, string Name, DatasetKind Kind, LabelTask Task, string? Guideline, int OverlapPercent,
    IReadOnlyList<LabelDto> Labels, int ItemCount, int LabeledCount, DateTimeOffset CreatedAt);

/// <summary>Body of <c>POST /api/projects/{projectId}/datasets</c>.</summary>
public sealed record CreateDatasetRequest(
    string Name, DatasetKind Kind, LabelTask Task, IReadOnlyList<LabelRequest>? Labels, string? Guideline, int? OverlapPercent);

/// <summary>Body of <c>PUT /api/datasets/{datasetId}</c>: labels given by name are kept, renamed ones keep their id when <c>Id</c> is sent.</summary>
public sealed record UpdateDatasetRequest(string Name, string? Guideline, int? OverlapPercent);

/// <summary>An item of a dataset. The data manager's list also fills whether it waits for a reviewer, where it came
/// from ("import:…", "drift:…") and a model's pre-label with its confidence.</summary>
public sealed record ItemDto(
    Guid Id, Guid DatasetId, string? FileName, string? Text, int? Width, int? Height, string ContentHash,
    IReadOnlyList<string> FinalLabels, int AnnotationCount, DateTimeOffset CreatedAt,
    bool NeedsReview = false, string? Origin = null, string? PreLabel = null, double? PreLabelConfidence = null);

/// <summary>A page of items.</summary>
public sealed record ItemPage(IReadOnlyList<ItemDto> Items, int Total, int Page, int PageSize);

/// <summary>Body of <c>PUT /api/items/{itemId}/annotation</c>: the caller's labels for the item, by name.</summary>
public sealed record AnnotationRequest(IReadOnlyList<string> Labels);

/// <summary>One change to a label: who, when, from what to what, and how (annotation, undo, review, import, sent-to-review).</summary>
public sealed record LabelChangeDto(string UserId, string? UserEmail, IReadOnlyList<string> From, IReadOnlyList<string> To, DateTimeOffset At, string? Kind = null);

/// <summary>Body of <c>POST /api/datasets/{datasetId}/items/bulk</c>: <c>relabel</c> settles the items as <c>Labels</c>;
/// <c>review</c> sends them to the review queue. Reviewer or Owner; at most 500 items.</summary>
public sealed record BulkItemsRequest(IReadOnlyList<Guid> ItemIds, string Action, IReadOnlyList<string>? Labels = null);

/// <summary>What a bulk action changed.</summary>
public sealed record BulkItemsResult(int Changed, int Unchanged);

/// <summary>State of an import.</summary>
public enum ImportStatus
{
    /// <summary>Waiting or running.</summary>
    Running,
    /// <summary>Done; see the counts and messages.</summary>
    Completed,
    /// <summary>Stopped by an error that concerned the whole upload.</summary>
    Failed,
}

/// <summary>An import and its report.</summary>
public sealed record ImportDto(
    Guid Id, Guid DatasetId, ImportStatus Status, int Total, int Processed, int Added, int Duplicates, int Rejected,
    IReadOnlyList<string> Messages, DateTimeOffset CreatedAt, DateTimeOffset? CompletedAt, ImportedLabels LabelsAs = ImportedLabels.GroundTruth);

/// <summary>What labels that come with imported files are: none of them is an annotator's opinion.</summary>
public enum ImportedLabels
{
    /// <summary>The item's final label: it is not queued for labeling and takes no part in annotator agreement.</summary>
    GroundTruth,
    /// <summary>A suggestion shown on the labeling page (Enter accepts it); the item is labeled like any other.</summary>
    PreLabel,
}
