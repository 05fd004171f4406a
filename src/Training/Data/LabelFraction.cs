using static TorchSharp.torch;

namespace TransferHub.Training.Data;

// A seeded, stratified share of a training split, for label-efficiency curves: each class keeps the same share
// of its examples (at least one), so 10 % of the labels still covers every class.
public static class LabelFraction
{
    public static LabeledTensors Take(LabeledTensors train, double fraction, int seed)
    {
        if (fraction is <= 0 or > 1) throw new ArgumentOutOfRangeException(nameof(fraction), fraction, "A label fraction is in (0, 1].");
        var labels = train.Labels.data<long>().ToArray();
        var random = new Random(seed);
        var keep = new List<long>();
        foreach (var group in Enumerable.Range(0, labels.Length).GroupBy(i => labels[i]))
        {
            var members = group.ToArray();
            random.Shuffle(members);
            var count = Math.Max(1, (int)Math.Round(members.Length * fraction));
            keep.AddRange(members.Take(count).Select(i => (long)i));
        }
        keep.Sort();
        using var indices = tensor(keep.ToArray());
        return train.Select(indices);
    }
}
