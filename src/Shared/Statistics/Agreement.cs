namespace TransferHub.Shared.Statistics;

/// <summary>
/// Chance-corrected agreement between annotators. Each returns null where the statistic is not
/// defined (for example when every rating used the same category, so chance agreement is perfect).
/// </summary>
public static class Agreement
{
    /// <summary>Cohen's kappa for two raters over the same items.</summary>
    public static double? CohenKappa<T>(IReadOnlyList<(T A, T B)> pairs) where T : notnull
    {
        if (pairs.Count == 0)
        {
            return null;
        }
        double n = pairs.Count;
        var observed = pairs.Count(p => EqualityComparer<T>.Default.Equals(p.A, p.B)) / n;
        var a = pairs.GroupBy(p => p.A).ToDictionary(g => g.Key, g => g.Count() / n);
        var b = pairs.GroupBy(p => p.B).ToDictionary(g => g.Key, g => g.Count() / n);
        var expected = a.Sum(kv => kv.Value * b.GetValueOrDefault(kv.Key));
        return expected >= 1 ? null : (observed - expected) / (1 - expected);
    }

    /// <summary>Fleiss' kappa: <paramref name="counts"/>[item][category] = how many raters chose it; every item has the same number of raters.</summary>
    public static double? FleissKappa(IReadOnlyList<IReadOnlyList<int>> counts)
    {
        if (counts.Count == 0)
        {
            return null;
        }
        var raters = counts[0].Sum();
        if (raters < 2 || counts.Any(c => c.Sum() != raters))
        {
            throw new ArgumentException("Fleiss' kappa needs the same number (≥ 2) of ratings for every item.", nameof(counts));
        }
        var categories = counts[0].Count;
        double items = counts.Count;
        var meanP = counts.Average(row => (row.Sum(x => (double)x * x) - raters) / (raters * (raters - 1.0)));
        var expected = Enumerable.Range(0, categories)
            .Select(j => counts.Sum(row => row[j]) / (items * raters))
            .Sum(p => p * p);
        return expected >= 1 ? null : (meanP - expected) / (1 - expected);
    }

    /// <summary>
    /// Krippendorff's alpha for nominal data: <paramref name="units"/> holds, per item, the values given
    /// by whoever rated it (any number; items with fewer than two ratings are ignored).
    /// </summary>
    public static double? KrippendorffAlphaNominal<T>(IEnumerable<IReadOnlyList<T>> units) where T : notnull
    {
        var coincidence = new Dictionary<(T, T), double>();
        foreach (var unit in units)
        {
            var m = unit.Count;
            if (m < 2)
            {
                continue;
            }
            for (var i = 0; i < m; i++)
            {
                for (var j = 0; j < m; j++)
                {
                    if (i != j)
                    {
                        var key = (unit[i], unit[j]);
                        coincidence[key] = coincidence.GetValueOrDefault(key) + 1.0 / (m - 1);
                    }
                }
            }
        }
        var marginals = new Dictionary<T, double>();
        foreach (var ((c, _), o) in coincidence)
        {
            marginals[c] = marginals.GetValueOrDefault(c) + o;
        }
        var n = marginals.Values.Sum();
        if (n <= 1)
        {
            return null;
        }
        var disagreeObserved = coincidence.Where(kv => !EqualityComparer<T>.Default.Equals(kv.Key.Item1, kv.Key.Item2)).Sum(kv => kv.Value);
        var disagreeExpected = marginals.Sum(c => c.Value * (n - c.Value));
        return disagreeExpected == 0 ? null : 1 - (n - 1) * disagreeObserved / disagreeExpected;
    }
}
