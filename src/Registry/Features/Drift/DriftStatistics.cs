namespace TransferHub.Registry.Features.Drift;

/// <summary>
/// Two-sample drift statistics, pure and deterministic: PSI and chi-square on category counts, Kolmogorov–Smirnov
/// on a continuous value, and MMD with a permutation p-value on embeddings (subsampled, so cost stays bounded).
/// </summary>
public static partial class DriftStatistics
{
    /// <summary>Jensen–Shannon distance (natural log, as scipy's default) between two count vectors: 0 for equal shares, √ln 2 for disjoint ones.</summary>
    public static double JensenShannonDistance(IReadOnlyList<int> reference, IReadOnlyList<int> current)
    {
        Same(reference.Count, current.Count);
        double r = reference.Sum(), c = current.Sum(), divergence = 0;
        for (var i = 0; i < reference.Count; i++)
        {
            double p = reference[i] / r, q = current[i] / c, m = (p + q) / 2;
            divergence += (p > 0 ? p * Math.Log(p / m) : 0) + (q > 0 ? q * Math.Log(q / m) : 0);
        }
        return Math.Sqrt(Math.Max(0, divergence / 2));
    }

    /// <summary>Wasserstein-1 distance between two samples (the area between their empirical CDFs).</summary>
    public static double Wasserstein(IReadOnlyList<double> reference, IReadOnlyList<double> current)
    {
        if (reference.Count == 0 || current.Count == 0)
        {
            return 0;
        }
        var a = reference.Order().ToArray();
        var b = current.Order().ToArray();
        var all = a.Concat(b).Order().ToArray();
        double distance = 0;
        int i = 0, j = 0;
        for (var k = 0; k < all.Length - 1; k++)
        {
            while (i < a.Length && a[i] <= all[k])
            {
                i++;
            }
            while (j < b.Length && b[j] <= all[k])
            {
                j++;
            }
            distance += Math.Abs((double)i / a.Length - (double)j / b.Length) * (all[k + 1] - all[k]);
        }
        return distance;
    }

    /// <summary>Standard deviation of a sample (population form).</summary>
    public static double StandardDeviation(IReadOnlyList<double> values)
    {
        if (values.Count == 0)
        {
            return 0;
        }
        var mean = values.Average();
        return Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / values.Count);
    }

    /// <summary>Floor for a bin's share in PSI, as Evidently does, so an empty bin does not make PSI infinite.</summary>
    public const double PsiFloor = 1e-4;

    /// <summary>Population stability index: Σ (q − p)·ln(q / p) over bins, p the reference and q the current shares.</summary>
    public static double Psi(IReadOnlyList<int> reference, IReadOnlyList<int> current)
    {
        Same(reference.Count, current.Count);
        double r = reference.Sum(), c = current.Sum();
        var psi = 0.0;
        for (var i = 0; i < reference.Count; i++)
        {
            var p = Math.Max(reference[i] / r, PsiFloor);
            var q = Math.Max(current[i] / c, PsiFloor);
            psi += (q - p) * Math.Log(q / p);
        }
        return psi;
    }

    /// <summary>Pearson's chi-square test of homogeneity on a 2 × k table (no continuity correction); categories empty in both are dropped.</summary>
    public static (double Statistic, int DegreesOfFreedom, double PValue) ChiSquare(IReadOnlyList<int> reference, IReadOnlyList<int> current)
    {
        Same(reference.Count, current.Count);
        var columns = Enumerable.Range(0, reference.Count).Where(i => reference[i] + current[i] > 0).ToList();
        double r = reference.Sum(), c = current.Sum(), n = r + c;
        if (columns.Count < 2 || r == 0 || c == 0)
        {
            return (0, 0, 1);
        }
        var statistic = 0.0;
        foreach (var j in columns)
        {
            var total = reference[j] + current[j];
            double er = r * total / n, ec = c * total / n;
            statistic += (reference[j] - er) * (reference[j] - er) / er + (current[j] - ec) * (current[j] - ec) / ec;
        }
        var df = columns.Count - 1;
        return (statistic, df, ChiSquareSurvival(statistic, df));
    }

    /// <summary>P(X ≥ x) for X ~ χ²(df): the regularized upper incomplete gamma Q(df/2, x/2).</summary>
    public static double ChiSquareSurvival(double x, int df) => x <= 0 ? 1 : UpperGammaRegularized(df / 2.0, x / 2.0);

    /// <summary>Two-sample Kolmogorov–Smirnov: the largest gap between the empirical CDFs, and its asymptotic p-value.</summary>
    public static (double Statistic, double PValue) KolmogorovSmirnov(IReadOnlyList<double> reference, IReadOnlyList<double> current)
    {
        if (reference.Count == 0 || current.Count == 0)
        {
            return (0, 1);
        }
        var a = reference.Order().ToArray();
        var b = current.Order().ToArray();
        int i = 0, j = 0;
        var d = 0.0;
        while (i < a.Length && j < b.Length)
        {
            var x = Math.Min(a[i], b[j]);
            while (i < a.Length && a[i] <= x)
            {
                i++;
            }
            while (j < b.Length && b[j] <= x)
            {
                j++;
            }
            d = Math.Max(d, Math.Abs((double)i / a.Length - (double)j / b.Length));
        }
        var en = Math.Sqrt((double)a.Length * b.Length / (a.Length + b.Length));
        // Stephens' small-sample adjustment of the Kolmogorov distribution (Numerical Recipes, kstwo).
        return (d, KolmogorovQ((en + 0.12 + 0.11 / en) * d));
    }

    /// <summary>Q_KS(λ) = 2 Σ (−1)^(j−1) exp(−2 j² λ²): the Kolmogorov distribution's survival function.</summary>
    public static double KolmogorovQ(double lambda)
    {
        if (lambda < 1e-3)
        {
            return 1;
        }
        double sum = 0, sign = 1, previous = 0;
        for (var j = 1; j <= 100; j++)
        {
            var term = sign * 2 * Math.Exp(-2 * j * j * lambda * lambda);
            sum += term;
            if (Math.Abs(term) <= 1e-10 * Math.Abs(previous) || Math.Abs(term) <= 1e-12 * sum)
            {
                return Math.Clamp(sum, 0, 1);
            }
            sign = -sign;
            previous = term;
        }
        return 1; // did not converge: only for tiny λ, where the p-value is 1
    }

    private static void Same(int a, int b)
    {
        if (a != b)
        {
            throw new ArgumentException("Both samples must have the same number of bins or dimensions.");
        }
    }
}
