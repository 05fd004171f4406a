namespace TransferHub.Registry.Features.Drift;

/// <summary>
/// Two-sample drift statistics, pure and deterministic: PSI and chi-square on category counts, Kolmogorov–Smirnov
/// on a continuous value, and MMD with a permutation p-value on embeddings (subsampled, so cost stays bounded).
/// </summary>
public static class DriftStatistics
{
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

    /// <summary>
    /// Squared maximum mean discrepancy with a Gaussian kernel (bandwidth: the median pairwise distance of the pooled
    /// sample) and a permutation p-value. Each sample is first subsampled to <paramref name="maxPerSample"/>, so the
    /// cost is bounded by (2·max)² kernel values whatever the window.
    /// </summary>
    public static (double Statistic, double PValue) Mmd(IReadOnlyList<float[]> reference, IReadOnlyList<float[]> current,
        int permutations = 200, int maxPerSample = 150, int seed = 17)
    {
        var random = new Random(seed);
        var x = Subsample(reference, maxPerSample, random);
        var y = Subsample(current, maxPerSample, random);
        if (x.Count < 2 || y.Count < 2)
        {
            return (0, 1);
        }
        var pooled = x.Concat(y).ToArray();
        var n = pooled.Length;
        var distances = new double[n, n];
        var all = new List<double>(n * (n - 1) / 2);
        for (var i = 0; i < n; i++)
        {
            for (var j = i + 1; j < n; j++)
            {
                var d = SquaredDistance(pooled[i], pooled[j]);
                distances[i, j] = distances[j, i] = d;
                all.Add(d);
            }
        }
        all.Sort();
        var median = all[all.Count / 2];
        var gamma = median > 0 ? 1 / median : 1;
        var kernel = new double[n, n];
        for (var i = 0; i < n; i++)
        {
            for (var j = 0; j < n; j++)
            {
                kernel[i, j] = Math.Exp(-gamma * distances[i, j]);
            }
        }
        var labels = Enumerable.Range(0, n).Select(i => i < x.Count).ToArray();
        var observed = Mmd2(kernel, labels, x.Count, y.Count);
        var exceed = 0;
        for (var p = 0; p < permutations; p++)
        {
            random.Shuffle(labels);
            if (Mmd2(kernel, labels, x.Count, y.Count) >= observed)
            {
                exceed++;
            }
        }
        return (observed, (exceed + 1.0) / (permutations + 1.0));
    }

    private static double Mmd2(double[,] k, bool[] inX, int nx, int ny)
    {
        double xx = 0, yy = 0, xy = 0;
        var n = inX.Length;
        for (var i = 0; i < n; i++)
        {
            for (var j = 0; j < n; j++)
            {
                if (i == j)
                {
                    continue;
                }
                if (inX[i] && inX[j])
                {
                    xx += k[i, j];
                }
                else if (!inX[i] && !inX[j])
                {
                    yy += k[i, j];
                }
                else if (inX[i])
                {
                    xy += k[i, j];
                }
            }
        }
        // Unbiased estimate: diagonal terms left out.
        return xx / (nx * (nx - 1.0)) + yy / (ny * (ny - 1.0)) - 2 * xy / ((double)nx * ny);
    }

    private static List<float[]> Subsample(IReadOnlyList<float[]> sample, int max, Random random)
    {
        if (sample.Count <= max)
        {
            return [.. sample];
        }
        var indices = Enumerable.Range(0, sample.Count).ToArray();
        random.Shuffle(indices);
        return [.. indices.Take(max).Select(i => sample[i])];
    }

    private static double SquaredDistance(float[] a, float[] b)
    {
        Same(a.Length, b.Length);
        var sum = 0.0;
        for (var i = 0; i < a.Length; i++)
        {
            var d = (double)a[i] - b[i];
            sum += d * d;
        }
        return sum;
    }

    /// <summary>Q(a, x) by the series for x &lt; a + 1 and the continued fraction otherwise (Numerical Recipes §6.2).</summary>
    internal static double UpperGammaRegularized(double a, double x)
    {
        if (x < a + 1)
        {
            double sum = 1 / a, term = sum, ap = a;
            for (var n = 0; n < 1000 && Math.Abs(term) > Math.Abs(sum) * 1e-15; n++)
            {
                ap++;
                term *= x / ap;
                sum += term;
            }
            return 1 - sum * Math.Exp(-x + a * Math.Log(x) - LogGamma(a));
        }
        double b = x + 1 - a, c = 1 / 1e-300, d = 1 / b, h = d;
        for (var i = 1; i < 1000; i++)
        {
            var an = -i * (i - a);
            b += 2;
            d = an * d + b;
            d = Math.Abs(d) < 1e-300 ? 1e-300 : d;
            c = b + an / c;
            c = Math.Abs(c) < 1e-300 ? 1e-300 : c;
            d = 1 / d;
            var delta = d * c;
            h *= delta;
            if (Math.Abs(delta - 1) < 1e-15)
            {
                break;
            }
        }
        return Math.Exp(-x + a * Math.Log(x) - LogGamma(a)) * h;
    }

    /// <summary>ln Γ(x) by the Lanczos approximation (g = 7, n = 9).</summary>
    internal static double LogGamma(double x)
    {
        ReadOnlySpan<double> g =
        [
            0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
            12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
        ];
        if (x < 0.5)
        {
            return Math.Log(Math.PI / Math.Abs(Math.Sin(Math.PI * x))) - LogGamma(1 - x);
        }
        x -= 1;
        var sum = g[0];
        for (var i = 1; i < g.Length; i++)
        {
            sum += g[i] / (x + i);
        }
        var t = x + 7.5;
        return 0.5 * Math.Log(2 * Math.PI) + (x + 0.5) * Math.Log(t) - t + Math.Log(sum);
    }

    private static void Same(int a, int b)
    {
        if (a != b)
        {
            throw new ArgumentException("Both samples must have the same number of bins or dimensions.");
        }
    }
}
