namespace TransferHub.Shared.Training;

/// <summary>How a run uses (or ignores) source weights: the arms of a transfer experiment.</summary>
public enum TrainingStrategy
{
    /// <summary>Same architecture, random initialisation, all layers trained.</summary>
    Baseline,
    /// <summary>Frozen source backbone; its features are computed once and only a new head trains.</summary>
    FeatureExtraction,
    /// <summary>All layers from source weights, low learning rate with warm-up and cosine decay.</summary>
    FineTune,
    /// <summary>Head first, then blocks unfrozen from the top, each lower block at a smaller learning rate.</summary>
    ProgressiveUnfreeze,
}
