namespace TransferHub.Shared.Statistics;

/// <summary>What an experiment says about an arm (stored and sent as its name).</summary>
public enum TransferVerdict
{
    /// <summary>No finished seed yet, or no baseline to pair with.</summary>
    Waiting,
    /// <summary>The baseline itself: what every arm is compared with.</summary>
    Reference,
    /// <summary>The frozen-random control: not a transfer; it tells what freezing costs here.</summary>
    Control,
    /// <summary>The paired 95 % interval of the difference lies above zero and reaches the smallest gain that matters.</summary>
    Positive,
    /// <summary>The paired 95 % interval of the difference lies below zero.</summary>
    Negative,
    /// <summary>No worthwhile gain: the 90 % interval lies within ± the smallest gain that matters (two one-sided tests).</summary>
    Equivalent,
    /// <summary>The interval spans zero and the arm is not shown equivalent: more seeds would tell.</summary>
    Inconclusive,
    /// <summary>The comparison was unfair (an under-trained or failed baseline, more optimization for the arm): no verdict.</summary>
    Unreliable,
}

/// <summary>How verdicts read.</summary>
public static class TransferVerdicts
{
    /// <summary>The words shown for a verdict.</summary>
    public static string Describe(TransferVerdict verdict) => verdict switch
    {
        TransferVerdict.Waiting => "waiting for results",
        TransferVerdict.Reference => "reference",
        TransferVerdict.Control => "control",
        TransferVerdict.Positive => "positive transfer",
        TransferVerdict.Negative => "negative transfer",
        TransferVerdict.Equivalent => "equivalent (no worthwhile gain)",
        TransferVerdict.Inconclusive => "inconclusive",
        TransferVerdict.Unreliable => "unreliable",
        _ => verdict.ToString(),
    };

    /// <summary>Whether a verdict blocks promotion to production.</summary>
    public static bool BlocksPromotion(TransferVerdict verdict) => verdict is TransferVerdict.Negative or TransferVerdict.Unreliable;
}
