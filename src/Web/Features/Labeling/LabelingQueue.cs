namespace TransferHub.Web.Features.Labeling;

/// <summary>Rules of the labeling queue that do not need the database.</summary>
public static class LabelingQueue
{
    /// <summary>How long a reserved item stays with an annotator without a heartbeat from their page.</summary>
    public static readonly TimeSpan ReservationTtl = TimeSpan.FromMinutes(2);

    /// <summary>An annotator holds the item on screen plus the one prefetched behind it.</summary>
    public const int MaxReservationsPerUser = 2;

    /// <summary>
    /// Whether an item belongs to the overlap share that a second annotator labels too. Decided by the
    /// content hash, so the same items are chosen on every node and after every restart.
    /// </summary>
    public static bool IsOverlapItem(string contentHash, int overlapPercent) =>
        overlapPercent > 0 && Convert.ToUInt32(contentHash[..8], 16) % 100 < overlapPercent;
}

/// <summary>How the queue orders items once unlabeled items come first.</summary>
public enum QueueOrder
{
    Sequential,
    Random,
    /// <summary>Items a model is least sure of first; falls back to sequential until a model has scored them.</summary>
    LeastConfident,
}

/// <summary>
/// Model scores for the "least confident first" order. The experiments feature implements it; until
/// then the queue has none and orders sequentially.
/// </summary>
public interface IItemScoreProvider
{
    /// <summary>Confidence (0–1) of the best model for each item it has scored; missing items have not been scored.</summary>
    Task<IReadOnlyDictionary<Guid, double>> GetConfidenceAsync(Guid datasetId, CancellationToken ct);
}
