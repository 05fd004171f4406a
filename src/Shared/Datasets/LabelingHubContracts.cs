namespace TransferHub.Shared.Datasets;

/// <summary>
/// The labeling hub at <see cref="Route"/> for scripts and external tools (the portal's own pages get the
/// same events in-process). Methods a client invokes: <c>Join(datasetId)</c>, <c>Leave(datasetId)</c>,
/// <c>Next(datasetId, exclude[])</c> → item or null, <c>Submit(itemId, labels[], durationMs)</c> → result,
/// <c>Release(itemIds[])</c>. Messages the server sends: <c>Progress</c> (<see cref="LabelingProgressMessage"/>)
/// and <c>Presence</c> (<see cref="LabelingPresenceMessage"/>).
/// </summary>
public static class LabelingHubContract
{
    /// <summary>Route of the hub.</summary>
    public const string Route = "/hubs/labeling";
}

/// <summary>Sent to everyone who joined a dataset when its counts change.</summary>
public sealed record LabelingProgressMessage(Guid DatasetId, int Items, int Labeled);

/// <summary>Sent to everyone who joined a dataset when someone starts or stops labeling it.</summary>
public sealed record LabelingPresenceMessage(Guid DatasetId, IReadOnlyList<string> Annotators);

/// <summary>An item handed out by the hub: what to show, which labels the caller gave it before, and a model's pre-label if one scored it.</summary>
public sealed record HubItem(ItemDto Item, IReadOnlyList<Guid> MyLabelIds, ModelSuggestion? Suggestion = null);

/// <summary>A pre-label the annotator confirms with one key: a trained model's guess and how sure it is, or (RunId empty) a label
/// that came with an import as a pre-label.</summary>
public sealed record ModelSuggestion(Guid LabelId, string Label, double Confidence, Guid RunId);

/// <summary>What <c>POST /api/runs/{runId}/score-unlabeled</c> did: the unlabeled items of the run's dataset it scored.</summary>
public sealed record ScoringResult(Guid DatasetId, Guid RunId, int Scored, int Skipped);

/// <summary>The result of a submit through the hub.</summary>
public sealed record HubSubmitResult(Guid ItemId, bool Changed, IReadOnlyList<string> FinalLabels, bool NeedsReview);
