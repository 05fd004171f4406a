using TransferHub.Shared.Datasets;

namespace TransferHub.Web.Features.Labeling;

/// <summary>An item as the labeling page shows it, with the caller's own labels if they labeled it before, and a model's pre-label.</summary>
public sealed record LabelingItem(ItemDto Item, IReadOnlyList<Guid> MyLabelIds, string? Origin, ModelSuggestion? Suggestion = null);

/// <summary>The outcome of a submit: whether it was new or a change, and the item's settled labels.</summary>
public sealed record SubmitResult(Guid ItemId, bool Changed, IReadOnlyList<string> FinalLabels, bool NeedsReview);

/// <summary>An item whose annotators disagree, with what each of them said.</summary>
public sealed record Disagreement(ItemDto Item, IReadOnlyList<(string Annotator, IReadOnlyList<string> Labels)> Votes);

/// <summary>One recent change in a dataset, for the activity feed.</summary>
public sealed record ActivityEntry(string Who, string What, DateTimeOffset At);
