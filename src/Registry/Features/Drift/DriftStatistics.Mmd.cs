namespace TransferHub.Registry.Features.Drift;

public static partial class DriftStatistics
{
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
}
