namespace TransferHub.Shared.Datasets;

/// <summary>
/// An item of a dataset version as another module reads it: its text, or the artifact key of its image, and the names
/// of its labels in that version.
/// </summary>
public sealed record VersionItemContent(Guid ItemId, string? FileName, string? Text, string? BlobKey, IReadOnlyList<string> Labels);

/// <summary>A dataset version's items as other modules read them (the registry's reference profiles and examples); datasets answer.</summary>
public interface IDatasetItems
{
    /// <summary>
    /// The version's items in the given splits, in import order, at most <paramref name="take"/> (null: all); empty when
    /// the version or its dataset no longer exists.
    /// </summary>
    Task<IReadOnlyList<VersionItemContent>> ItemsAsync(Guid datasetVersionId, IReadOnlyCollection<Split> splits, int? take, CancellationToken ct);

    /// <summary>One item of the version if it is in one of the splits; null otherwise.</summary>
    Task<VersionItemContent?> ItemAsync(Guid datasetVersionId, Guid itemId, IReadOnlyCollection<Split> splits, CancellationToken ct);
}
