using TransferHub.Shared.Datasets;

namespace TransferHub.Web.Features.Labeling;

/// <summary>An item as the labeling page shows it, with the caller's own labels if they labeled it before.</summary>
public sealed record LabelingItem(ItemDto Item, IReadOnlyList<Guid> MyLabelIds, string? Origin);

/// <summary>The outcome of a submit: whether it was new or a change, and the item's settled labels.</summary>
public sealed record SubmitResult(Guid ItemId, bool Changed, IReadOnlyList<string> FinalLabels, bool NeedsReview);
