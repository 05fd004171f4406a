namespace TransferHub.Shared.Statistics;

/// <summary>Tests on paired differences over seeds (arm minus baseline, one value per seed).</summary>
public static class PairedTests
{
    /// <summary>Two-sided p-value of the paired t-test that the mean difference is zero; null with fewer than two values.
    /// All-equal values give p = 1 when they are zero and p = 0 otherwise.</summary>
    public static double? TTestP(IReadOnlyList<double> differences)
    {
        if (differences.Count < 2) return null;
        var (mean, se) = MeanAndStandardError(differences);
        if (se == 0) return mean == 0 ? 1 : 0;
        return 2 * StudentT.Cdf(-Math.Abs(mean / se), differences.Count - 1);
    }

    /// <summary>Two one-sided tests (TOST) of equivalence within ±<paramref name="margin"/>: the larger of the two one-sided
    /// p-values, and the 90 % t-interval whose inclusion in (−margin, margin) is the same test at α = 0.05.</summary>
    public static (double P, double Low, double High)? Equivalence(IReadOnlyList<double> differences, double margin)
    {
        if (differences.Count < 2 || margin <= 0) return null;
        var (mean, se) = MeanAndStandardError(differences);
        var df = differences.Count - 1;
        if (se == 0)
        {
            var inside = Math.Abs(mean) < margin;
            return (inside ? 0 : 1, mean, mean);
        }
        var pLower = 1 - StudentT.Cdf((mean + margin) / se, df); // H0: difference ≤ −margin
        var pUpper = StudentT.Cdf((mean - margin) / se, df);     // H0: difference ≥ +margin
        var half = StudentT.Quantile(0.95, df) * se;
        return (Math.Max(pLower, pUpper), mean - half, mean + half);
    }

    /// <summary>Holm's step-down adjustment of p-values (family-wise error), in the input order.</summary>
    public static double[] Holm(IReadOnlyList<double> pValues)
    {
        var m = pValues.Count;
        var order = Enumerable.Range(0, m).OrderBy(i => pValues[i]).ToArray();
        var adjusted = new double[m];
        var running = 0.0;
        for (var rank = 0; rank < m; rank++)
        {
            running = Math.Max(running, Math.Min(1, (m - rank) * pValues[order[rank]]));
            adjusted[order[rank]] = running;
        }
        return adjusted;
    }

    /// <summary>
    /// Seeds planner: assuming the spread seen so far (<paramref name="sd"/>) and the mean difference stay as they are, the
    /// smallest total number of seeds at which the 95 % interval excludes zero, or — with a <paramref name="margin"/> — the
    /// 90 % interval fits within ±margin (equivalence). Null when neither happens by <paramref name="cap"/> seeds.
    /// </summary>
    public static int? SeedsToDecide(double mean, double sd, int seedsSoFar, double margin, int cap = 30)
    {
        for (var n = Math.Max(2, seedsSoFar); n <= cap; n++)
        {
            var se = sd / Math.Sqrt(n);
            if (StudentT.Quantile(0.975, n - 1) * se < Math.Abs(mean)) return n;
            if (margin > 0 && Math.Abs(mean) + StudentT.Quantile(0.95, n - 1) * se < margin) return n;
        }
        return null;
    }

    /// <summary>Sample standard deviation (n − 1).</summary>
    public static double StandardDeviation(IReadOnlyList<double> values)
    {
        var mean = values.Average();
        return values.Count < 2 ? 0 : Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (values.Count - 1));
    }

    private static (double Mean, double StandardError) MeanAndStandardError(IReadOnlyList<double> values) =>
        (values.Average(), StandardDeviation(values) / Math.Sqrt(values.Count));
}
