namespace TransferHub.Shared.Statistics;

/// <summary>One run's test predictions: true and predicted class per test item, in the split's order.</summary>
public sealed record ItemPredictions(int Seed, IReadOnlyList<int> Labels, IReadOnlyList<int> Predicted);

/// <summary>
/// The hierarchical (cluster) paired bootstrap over seeds and test items: each draw resamples the seed pairs (arm and
/// baseline of the same seed stay together), then the test items (the same items for both arms and every drawn seed),
/// recomputes each drawn seed's macro-F1 for the arm and the baseline and averages the differences. The 2.5th and 97.5th
/// percentiles of that average are the 95 % interval. It covers both sources of noise: the test set's sampling (which a
/// t-interval over a few seeds misses) and seed-to-seed variation (which resampling items alone misses).
/// </summary>
public static class PairedBootstrap
{
    /// <summary>The arm's mean macro-F1 difference from the baseline over the seeds both ran (same test items), with its
    /// 95 % percentile interval; null when no seed pairs up.</summary>
    public static (double Difference, double Low, double High)? MacroF1Difference(
        IReadOnlyList<ItemPredictions> baseline, IReadOnlyList<ItemPredictions> arm, int resamples = 1000, int seed = 12345)
    {
        var pairs = (from a in arm join b in baseline on a.Seed equals b.Seed
                     where a.Labels.Count == b.Labels.Count && a.Labels.Count > 0 && a.Labels.SequenceEqual(b.Labels)
                     select (Labels: a.Labels.ToArray(), Arm: a.Predicted.ToArray(), Base: b.Predicted.ToArray())).ToList();
        if (pairs.Count == 0)
        {
            return null;
        }
        var n = pairs[0].Labels.Length;
        // One counting buffer for every macro-F1 of the 1 000 draws: a watched experiment recomputes them on each refresh.
        var counts = new int[3 * pairs.Max(p => ClassCount(p.Labels, p.Arm, p.Base))];
        var all = Enumerable.Range(0, n).ToArray();
        var observed = pairs.Average(p => MacroF1(p.Labels, p.Arm, all, counts) - MacroF1(p.Labels, p.Base, all, counts));
        var random = new Random(seed);
        var draws = new double[resamples];
        var sample = new int[n];
        var seeds = new int[pairs.Count];
        for (var r = 0; r < resamples; r++)
        {
            for (var s = 0; s < seeds.Length; s++)
            {
                seeds[s] = random.Next(pairs.Count);
            }
            for (var i = 0; i < n; i++)
            {
                sample[i] = random.Next(n);
            }
            var sum = 0.0;
            foreach (var s in seeds)
            {
                sum += MacroF1(pairs[s].Labels, pairs[s].Arm, sample, counts) - MacroF1(pairs[s].Labels, pairs[s].Base, sample, counts);
            }
            draws[r] = sum / seeds.Length;
        }
        Array.Sort(draws);
        return (observed, draws[(int)(0.025 * (resamples - 1))], draws[(int)Math.Ceiling(0.975 * (resamples - 1))]);
    }

    /// <summary>Macro-F1 over the classes present among the chosen items' true or predicted labels (as scikit-learn does).</summary>
    public static double MacroF1(IReadOnlyList<int> labels, IReadOnlyList<int> predicted, IReadOnlyList<int> items) =>
        MacroF1([.. labels], [.. predicted], [.. items], new int[3 * ClassCount([.. labels], [.. predicted])]);

    private static int ClassCount(params int[][] columns) => columns.Max(c => c.DefaultIfEmpty(0).Max()) + 1;

    // counts: scratch for the true positives, false positives and false negatives of each class, one block after the other.
    private static double MacroF1(int[] labels, int[] predicted, int[] items, int[] counts)
    {
        Array.Clear(counts);
        var classes = counts.Length / 3;
        foreach (var i in items)
        {
            var (y, p) = (labels[i], predicted[i]);
            if (y == p)
            {
                counts[y]++;
            }
            else
            {
                counts[classes + p]++;
                counts[2 * classes + y]++;
            }
        }
        var (sum, present) = (0.0, 0);
        for (var c = 0; c < classes; c++)
        {
            double t = counts[c], f = counts[classes + c] + counts[2 * classes + c];
            if (t + f > 0)
            {
                sum += 2 * t / (2 * t + f);
                present++;
            }
        }
        return present == 0 ? 0 : sum / present;
    }
}
