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
}
