using TransferHub.Shared.Datasets;

namespace TransferHub.Web.Features.Versions;

/// <summary>
/// Splits items into train/validation/test per class, so each split keeps the class proportions.
/// Deterministic for a seed. A class with fewer than 3 items cannot be in all three splits: it all goes
/// to train and a warning says so; a class with 3 or more gets at least one item in each non-empty split.
/// Multi-label items are stratified by their first label (sorted by name). The split depends only on the items'
/// content hashes, their labels and the seed: never on item ids (new on every import) or on a per-process hash seed.
/// </summary>
public static class StratifiedSplitter
{
    public sealed record Entry(Guid ItemId, string ContentHash, string StratumLabel);

    public static (Dictionary<Guid, Split> Splits, List<string> Warnings) Split(IReadOnlyList<Entry> items, SplitRatios ratios, int seed)
    {
        var splits = new Dictionary<Guid, Split>();
        var warnings = new List<string>();
        foreach (var group in items.GroupBy(i => i.StratumLabel).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            // Sorted by content first, then shuffled with a seed derived from the class: the same input gives the same split
            // anywhere. (HashCode.Combine is seeded per process, so it must not be used here.)
            var members = group.OrderBy(i => i.ContentHash, StringComparer.Ordinal).ThenBy(i => i.ItemId).Select(i => i.ItemId).ToArray();
            new Random(StableHash($"{seed}\u0001{group.Key}")).Shuffle(members);
            var n = members.Length;
            if (n < 3)
            {
                warnings.Add($"'{group.Key}' has only {n} item(s): all in train, so the test split cannot measure it. Label a few more.");
                foreach (var id in members)
                {
                    splits[id] = Shared.Datasets.Split.Train;
                }
                continue;
            }
            var test = ratios.Test > 0 ? Math.Max(1, (int)Math.Round(n * ratios.Test)) : 0;
            var validation = ratios.Validation > 0 ? Math.Max(1, (int)Math.Round(n * ratios.Validation)) : 0;
            while (n - test - validation < 1)
            {
                if (validation >= test && validation > 1) { validation--; } else { test--; }
            }
            if (n < 10)
            {
                warnings.Add($"'{group.Key}' has {n} items: its test metrics will be noisy.");
            }
            for (var i = 0; i < n; i++)
            {
                splits[members[i]] = i < test ? Shared.Datasets.Split.Test : i < test + validation ? Shared.Datasets.Split.Validation : Shared.Datasets.Split.Train;
            }
        }
        return (splits, warnings);
    }

    private static int StableHash(string value)
    {
        unchecked
        {
            var hash = (int)2166136261;
            foreach (var c in value)
            {
                hash = (hash ^ c) * 16777619;
            }
            return hash;
        }
    }
}
