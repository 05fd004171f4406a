using TransferHub.Shared.Experiments;

namespace TransferHub.Web.Components.Pages.Experiments;

/// <summary>
/// What the experiment page computes from an experiment: the time left, the per-class table, the best run, the learning
/// rates in words, the label-efficiency curves. Apart from the page so that unit tests read it.
/// </summary>
public static class ExperimentView
{
    /// <summary>Remaining steps (or epochs) of running runs at their measured pace, plus waiting runs at the mean pace so far.</summary>
    public static double? SecondsLeft(ExperimentDto experiment)
    {
        if (StepSecondsLeft(experiment) is { } seconds)
        {
            return seconds;
        }
        var paces = experiment.Runs.Where(r => r.LastEpochSeconds is not null).Select(r => r.LastEpochSeconds!.Value).ToList();
        if (paces.Count == 0 || experiment.Runs.All(r => r.Status is not (RunStatus.Pending or RunStatus.Running)))
        {
            return null;
        }
        var running = experiment.Runs.Where(r => r.Status == RunStatus.Running)
            .Sum(r => (r.Epochs - r.EpochsDone) * (r.LastEpochSeconds ?? paces.Average()));
        return running + experiment.Runs.Where(r => r.Status == RunStatus.Pending).Sum(r => r.Epochs) * paces.Average();
    }

    /// <summary>On a step budget: steps left per run times the measured seconds per step (median over runs of the same arm so far).</summary>
    public static double? StepSecondsLeft(ExperimentDto experiment)
    {
        var runs = experiment.Runs;
        var paces = runs.Where(r => r.StepSeconds is not null).GroupBy(r => r.Arm)
            .ToDictionary(g => g.Key, g => g.Select(r => r.StepSeconds!.Value).Order().ElementAt(g.Count() / 2));
        if (paces.Count == 0 || runs.Any(r => r.BudgetSteps is null) || runs.All(r => r.Status is not (RunStatus.Pending or RunStatus.Running)))
        {
            return null;
        }
        var overall = paces.Values.Average();
        return runs.Where(r => r.Status is RunStatus.Pending or RunStatus.Running)
            .Sum(r => (r.BudgetSteps!.Value - (r.StepsDone ?? 0)) * paces.GetValueOrDefault(r.Arm, overall));
    }

    /// <summary>Class → arm → mean test F1 over the arm's finished full-label runs.</summary>
    public static Dictionary<string, Dictionary<string, double>> PerClassTable(ExperimentDto experiment)
    {
        var full = experiment.Runs.Count == 0 ? 1 : experiment.Runs.Max(r => r.LabelFraction);
        return experiment.Runs.Where(r => r.PerClass is not null && r.LabelFraction == full)
            .SelectMany(r => r.PerClass!.Select(c => (r.Arm, c.Class, c.F1)))
            .GroupBy(x => x.Class).OrderBy(g => g.Key, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.GroupBy(x => x.Arm).ToDictionary(a => a.Key, a => a.Average(x => x.F1)));
    }

    /// <summary>The run to pre-label with: the best test macro-F1 among those trained on the most labels.</summary>
    public static RunDto? BestRun(ExperimentDto experiment) => experiment.Runs.Where(r => r.Status == RunStatus.Succeeded && r.TestMacroF1 is not null)
        .OrderByDescending(r => r.LabelFraction).ThenByDescending(r => r.TestMacroF1).FirstOrDefault();

    public static List<RunDto> Unconverged(ExperimentDto experiment) => [.. experiment.Runs.Where(r => r.Status == RunStatus.Succeeded && r.Converged == false)];

    /// <summary>The learning rates the arms train with (a new head's rate is explicit: it can favour an arm); a swept arm's once a run has it.</summary>
    public static string LearningRates(ExperimentDto experiment) => string.Join("; ", experiment.Runs.GroupBy(r => r.Arm)
        .Select(g => g.FirstOrDefault(r => r.LearningRateNote is not null) ?? g.First())
        .Select(r => r.FindsLearningRate && r.LearningRateNote is null ? $"{r.Arm}: lr by sweep (pending)"
            : $"{r.Arm}: lr {r.LearningRate:0.#####}{(r.HeadLearningRate is { } head ? $", head {head:0.#####}" : "")}{(r.FindsLearningRate ? " (sweep)" : "")}"));

    /// <summary>The curve chart draws (x, mean, band); here x is the percentage of labels and the band the 95 % interval.</summary>
    public static IReadOnlyList<ArmCurve> EfficiencyCurves(IReadOnlyList<EfficiencyPoint> points) =>
        [.. points.GroupBy(p => p.Arm).Select(g => new ArmCurve(g.Key, [.. g.OrderBy(p => p.Fraction).Select(p => new CurvePoint(
            (int)Math.Round(p.Fraction * 100), p.Seeds, p.Mean, Math.Clamp(p.Low ?? p.Mean, 0, 1), Math.Clamp(p.High ?? p.Mean, 0, 1), 0, 0, 0))]))];

    /// <summary>A confusion cell's accessible name: how many test items of which arm, true and predicted class.</summary>
    public static string CellLabel(RunDto run, int actual, int predicted, int count)
    {
        string Name(int c) => run.Classes is { } n && c < n.Count ? n[c] : $"class {c}";
        return $"{count} test items of {run.Arm}: true {Name(actual)}, predicted {Name(predicted)}";
    }
}
