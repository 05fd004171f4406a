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
                     select (Arm: a, Base: b)).ToList();
        if (pairs.Count == 0)
        {
            return null;
        }
        var n = pairs[0].Arm.Labels.Count;
        var all = Enumerable.Range(0, n).ToArray();
        var observed = pairs.Average(p => MacroF1(p.Arm.Labels, p.Arm.Predicted, all) - MacroF1(p.Base.Labels, p.Base.Predicted, all));
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
            draws[r] = seeds.Average(s => MacroF1(pairs[s].Arm.Labels, pairs[s].Arm.Predicted, sample) - MacroF1(pairs[s].Base.Labels, pairs[s].Base.Predicted, sample));
        }
        Array.Sort(draws);
        return (observed, draws[(int)(0.025 * (resamples - 1))], draws[(int)Math.Ceiling(0.975 * (resamples - 1))]);
    }

    /// <summary>Macro-F1 over the classes present among the chosen items' true or predicted labels (as scikit-learn does).</summary>
    public static double MacroF1(IReadOnlyList<int> labels, IReadOnlyList<int> predicted, IReadOnlyList<int> items)
    {
        var tp = new Dictionary<int, int>();
        var fp = new Dictionary<int, int>();
        var fn = new Dictionary<int, int>();
        foreach (var i in items)
        {
            var (y, p) = (labels[i], predicted[i]);
            if (y == p)
            {
                tp[y] = tp.GetValueOrDefault(y) + 1;
            }
            else
            {
                fp[p] = fp.GetValueOrDefault(p) + 1;
                fn[y] = fn.GetValueOrDefault(y) + 1;
            }
        }
        var classes = tp.Keys.Concat(fp.Keys).Concat(fn.Keys).Distinct().ToList();
        return classes.Count == 0 ? 0 : classes.Average(c =>
        {
            double t = tp.GetValueOrDefault(c), f = fp.GetValueOrDefault(c) + fn.GetValueOrDefault(c);
            return 2 * t / (2 * t + f);
        });
    }
}
