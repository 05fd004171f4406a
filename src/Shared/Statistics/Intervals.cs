namespace TransferHub.Shared.Statistics;

/// <summary>Confidence intervals for small samples (a few seeds).</summary>
public static class Intervals
{
    // Two-sided 95 % Student t quantiles for 1–30 degrees of freedom; beyond that 1.96 is close enough.
    private static readonly double[] T95 =
    [
        12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160, 2.145, 2.131,
        2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042,
    ];

    /// <summary>Mean and 95 % t-interval; the interval is null with fewer than two values.</summary>
    public static (double Mean, double? Low, double? High) MeanT95(IReadOnlyList<double> values)
    {
        if (values.Count == 0)
        {
            throw new ArgumentException("No values.", nameof(values));
        }
        var mean = values.Average();
        if (values.Count < 2)
        {
            return (mean, null, null);
        }
        var sd = Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (values.Count - 1));
        var df = values.Count - 1;
        var half = (df <= T95.Length ? T95[df - 1] : 1.96) * sd / Math.Sqrt(values.Count);
        return (mean, mean - half, mean + half);
    }

    /// <summary>The verdict a 95 % interval of a difference supports on its own: above zero, below zero, or spanning it
    /// (the experiment's verdict adds fairness and equivalence, see the experiment service).</summary>
    public static TransferVerdict Verdict(double? low, double? high) => (low, high) switch
    {
        (null, _) or (_, null) => TransferVerdict.Inconclusive,
        ( > 0, _) => TransferVerdict.Positive,
        (_, < 0) => TransferVerdict.Negative,
        _ => TransferVerdict.Inconclusive,
    };

    /// <summary>An interval clipped to the range its metric can take (a macro-F1 lies in [0, 1], a difference of two in [−1, 1]).</summary>
    public static (double? Low, double? High) Clip(double? low, double? high, double min, double max) =>
        (low is { } l ? Math.Clamp(l, min, max) : null, high is { } h ? Math.Clamp(h, min, max) : null);
}
