namespace TransferHub.Shared.Datasets;

/// <summary>Which part of a version an item belongs to.</summary>
public enum Split
{
    /// <summary>Used to fit models.</summary>
    Train,
    /// <summary>Used for early stopping and model choice.</summary>
    Validation,
    /// <summary>Held out for the final verdict.</summary>
    Test,
}

/// <summary>Split ratios; they must add up to 1.</summary>
public sealed record SplitRatios(double Train, double Validation, double Test);

/// <summary>Body of <c>POST /api/datasets/{datasetId}/versions</c>.</summary>
public sealed record CreateVersionRequest(SplitRatios? Split, int? Seed, string? Note);

/// <summary>How many items of one label land in each split.</summary>
public sealed record LabelSplitCount(string Label, int Train, int Validation, int Test);

/// <summary>An immutable snapshot of a dataset's labeled items, with its split.</summary>
public sealed record VersionDto(
    Guid Id, Guid DatasetId, int Number, string? Note, string ContentHash, int Seed, SplitRatios Split,
    int ItemCount, IReadOnlyList<LabelSplitCount> LabelCounts, IReadOnlyList<string> Warnings, DateTimeOffset CreatedAt);

/// <summary>What changed between two versions of a dataset.</summary>
public sealed record VersionDiffDto(Guid From, Guid To, int Added, int Removed, int Relabeled, int MovedSplit, int Unchanged,
    IReadOnlyList<string> Examples);
