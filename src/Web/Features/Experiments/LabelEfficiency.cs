using TransferHub.Shared.Experiments;
using TransferHub.Shared.Statistics;

namespace TransferHub.Web.Features.Experiments;

/// <summary>Label-efficiency: each arm's test macro-F1 per share of the training labels, and how many labels transfer saves.</summary>
public static class LabelEfficiency
{
    public static (IReadOnlyList<EfficiencyPoint> Points, IReadOnlyList<string> Notes) Summarise(IReadOnlyList<RunDto> runs)
    {
        if (runs.Select(r => r.LabelFraction).Distinct().Count() < 2)
        {
            return ([], []);
        }
        var points = runs.Where(r => r.TestMacroF1 is not null).GroupBy(r => (r.Arm, r.LabelFraction))
            .OrderBy(g => g.Key.Arm == "baseline" ? 0 : 1).ThenBy(g => g.Key.Arm).ThenBy(g => g.Key.LabelFraction)
            .Select(g =>
            {
                var (mean, low, high) = Intervals.MeanT95([.. g.Select(r => r.TestMacroF1!.Value)]);
                return new EfficiencyPoint(g.Key.Arm, g.Key.LabelFraction, g.Count(), mean, low, high);
            }).ToList();
        var full = runs.Max(r => r.LabelFraction);
        var reference = points.SingleOrDefault(p => p.Arm == "baseline" && p.Fraction == full);
        if (reference is null)
        {
            return (points, []);
        }
        var notes = points.Where(p => p.Arm != "baseline").GroupBy(p => p.Arm).Select(arm =>
            arm.OrderBy(p => p.Fraction).FirstOrDefault(p => p.Mean >= reference.Mean) is { } reached
                ? $"'{arm.Key}' reaches the baseline's full-data macro-F1 ({reference.Mean:0.000}) with {reached.Fraction:0.##%} of the labels."
                : $"'{arm.Key}' stays below the baseline's full-data macro-F1 ({reference.Mean:0.000}) at every share of the labels tried.").ToList();
        return (points, notes);
    }

    /// <summary>
    /// Labeling time a transfer arm saves: the training labels the baseline needed for its full-data macro-F1 minus the share at
    /// which the arm first reaches it (on the shares tried), times the median seconds per label annotators took on this
    /// dataset. The range: labels from the share where the arm's 95 % interval reaches the baseline (optimistic) to where its
    /// lower bound does (pessimistic), times the first and third quartile of seconds per label.
    /// </summary>
    public static IReadOnlyList<LabelingSavings> Savings(IReadOnlyList<EfficiencyPoint> points, int trainCount, LabelSeconds? seconds)
    {
        var full = points.Count == 0 ? 1 : points.Max(p => p.Fraction);
        var reference = points.SingleOrDefault(p => p.Arm == "baseline" && p.Fraction == full);
        if (reference is null)
        {
            return [];
        }
        int Saved(IEnumerable<EfficiencyPoint> arm, Func<EfficiencyPoint, double> value) =>
            arm.OrderBy(p => p.Fraction).FirstOrDefault(p => value(p) >= reference.Mean) is { } reached
                ? (int)Math.Round(trainCount * (full - reached.Fraction)) : 0;
        return [.. points.Where(p => p.Arm != "baseline").GroupBy(p => p.Arm).Select(arm =>
        {
            var (labels, low, high) = (Saved(arm, p => p.Mean), Saved(arm, p => p.Low ?? p.Mean), Saved(arm, p => p.High ?? p.Mean));
            return new LabelingSavings(arm.Key, labels, low, high, labels * seconds?.Median / 3600, low * seconds?.FirstQuartile / 3600,
                high * seconds?.ThirdQuartile / 3600, seconds?.Median, seconds?.Count ?? 0);
        })];
    }

    /// <summary>The words for a saving: "'fine-tune' saves ≈ 6.2 h [4.1, 9.0] of labeling (1 240 labels at a median 18 s each)".</summary>
    public static string Describe(LabelingSavings s) => s.Labels == 0
        ? $"'{s.Arm}' saves no labeling on the shares tried."
        : s.Hours is { } hours
            ? $"'{s.Arm}' saves ≈ {Hours(hours)} [{Hours(s.HoursLow!.Value)}, {Hours(s.HoursHigh!.Value)}] of labeling: {s.Labels} labels ({s.LabelsLow}–{s.LabelsHigh}) at a median {s.MedianSecondsPerLabel:0.#} s per label over {s.TimedLabels} timed labels."
            : $"'{s.Arm}' saves ≈ {s.Labels} labels ({s.LabelsLow}–{s.LabelsHigh}); label in the app to turn that into hours.";

    private static string Hours(double hours) => hours switch
    {
        0 => "0 h",
        < 1.0 / 60 => $"{hours * 3600:0} s", // a few labels of a quick task: "0 min" would say nothing
        < 1 => $"{hours * 60:0} min",
        _ => $"{hours:0.0} h",
    };
}

/// <summary>Seconds annotators took per label on a dataset: median and quartiles over <paramref name="Count"/> timed labels.</summary>
public sealed record LabelSeconds(double Median, double FirstQuartile, double ThirdQuartile, int Count)
{
    /// <summary>From per-label durations; null with none.</summary>
    public static LabelSeconds? From(IReadOnlyList<double> seconds)
    {
        if (seconds.Count == 0)
        {
            return null;
        }
        var sorted = seconds.Order().ToArray();
        double At(double q) => sorted[(int)Math.Round(q * (sorted.Length - 1))];
        return new LabelSeconds(At(0.5), At(0.25), At(0.75), sorted.Length);
    }
}
