using TransferHub.Shared.Experiments;
using TransferHub.Shared.Statistics;
using TransferHub.Shared.Training;

namespace TransferHub.Web.Features.Experiments;

/// <summary>
/// Per arm: mean test macro-F1 over seeds, the seed-paired difference from the baseline, and a verdict that refuses to speak
/// when the comparison was unfair. A control arm is described, not judged. Otherwise the 95 % t-interval of the paired
/// difference decides positive or negative, two one-sided tests against the smallest gain that matters decide equivalence,
/// and the seeds planner says how many seeds would decide the rest; then an under-trained or failed baseline seed, or an arm
/// given more optimizer steps than its baseline, withholds any verdict but a negative one (<see cref="TransferVerdict.Unreliable"/>).
/// </summary>
public static class ArmVerdicts
{
    /// <summary>A baseline seed this far below its siblings' median test macro-F1 is a failed run, not a data point.</summary>
    public const double FailedSeedGap = 0.25;

    /// <summary>The default smallest gain in test macro-F1 that matters.</summary>
    public const double DefaultMinimumGain = 0.01;

    public static IReadOnlyList<ArmResultDto> Summarise(IReadOnlyList<RunDto> runs, IReadOnlyDictionary<Guid, ItemPredictions>? predictions = null,
        double minimumGain = DefaultMinimumGain)
    {
        predictions ??= new Dictionary<Guid, ItemPredictions>();
        var baselineRuns = runs.Where(r => r.Arm == "baseline" && r.TestMacroF1 is not null).ToDictionary(r => r.Seed);
        var baselineItems = baselineRuns.Values.Where(r => predictions.ContainsKey(r.Id)).Select(r => predictions[r.Id]).ToList();
        var baselineProblems = BaselineProblems([.. baselineRuns.Values]);
        return [.. runs.GroupBy(r => r.Arm).OrderBy(g => g.Key == "baseline" ? 0 : 1).ThenBy(g => g.Key).Select(g =>
        {
            var strategy = g.First().Strategy;
            var done = g.Where(r => r.TestMacroF1 is not null).ToList();
            if (done.Count == 0)
            {
                return Result(g.Key, strategy, 0, TransferVerdict.Waiting, null);
            }
            var cost = done.Sum(r => r.TrainSeconds ?? 0);
            var device = string.Join("/", done.Select(r => r.Device?.Split(':')[0].ToUpperInvariant()).Where(d => d is not null).Distinct());
            var (mean, low, high) = Intervals.MeanT95([.. done.Select(r => r.TestMacroF1!.Value)]);
            (low, high) = Intervals.Clip(low, high, 0, 1);
            if (g.Key == "baseline")
            {
                var note = baselineProblems.Count == 0 ? null : BySeeds(baselineProblems.Select(p => (p.Key, p.Value)));
                return Result(g.Key, strategy, done.Count, TransferVerdict.Reference, note) with { Mean = mean, Low = low, High = high, TotalTrainSeconds = cost, Device = device };
            }
            var pairs = done.Where(r => baselineRuns.ContainsKey(r.Seed)).Select(r => (Arm: r, Base: baselineRuns[r.Seed])).ToList();
            var summary = Result(g.Key, strategy, done.Count, TransferVerdict.Waiting, "waiting for the baseline")
                with { Mean = mean, Low = low, High = high, TotalTrainSeconds = cost, Device = device };
            if (pairs.Count == 0)
            {
                return summary;
            }
            var paired = pairs.Select(p => p.Arm.TestMacroF1!.Value - p.Base.TestMacroF1!.Value).ToList();
            var (diff, dLow, dHigh) = Intervals.MeanT95(paired);
            (dLow, dHigh) = Intervals.Clip(dLow, dHigh, -1, 1);
            var bootstrap = PairedBootstrap.MacroF1Difference(baselineItems, [.. done.Where(r => predictions.ContainsKey(r.Id)).Select(r => predictions[r.Id])]);
            var equivalence = PairedTests.Equivalence(paired, minimumGain);
            summary = summary with
            {
                Difference = diff, DifferenceLow = dLow, DifferenceHigh = dHigh, BootstrapLow = bootstrap?.Low, BootstrapHigh = bootstrap?.High,
                EquivalenceP = equivalence?.P, Classes = ClassVerdicts(pairs),
            };
            var (verdict, reason) = Decide(pairs, paired, dLow, dHigh, equivalence, minimumGain, baselineProblems);
            var seeds = verdict == TransferVerdict.Inconclusive && paired.Count >= 2
                ? PairedTests.SeedsToDecide(diff, PairedTests.StandardDeviation(paired), paired.Count, minimumGain) : null;
            if (verdict == TransferVerdict.Inconclusive && paired.Count >= 2)
            {
                reason = seeds is { } n ? $"the interval spans zero; at this spread about {n} seeds would decide" : "the interval spans zero; at this spread even 30 seeds would not decide";
            }
            return summary with { Verdict = verdict, VerdictText = TransferVerdicts.Describe(verdict), Reason = reason, SeedsToDecide = seeds };
        })];
    }

    private static ArmResultDto Result(string arm, TrainingStrategy strategy, int seeds, TransferVerdict verdict, string? reason) =>
        new(arm, strategy, seeds, null, null, null, null, null, null, verdict, TransferVerdicts.Describe(verdict), reason);

    private static (TransferVerdict, string?) Decide(IReadOnlyList<(RunDto Arm, RunDto Base)> pairs, IReadOnlyList<double> paired, double? low, double? high,
        (double P, double Low, double High)? equivalence, double minimumGain, IReadOnlyDictionary<int, string> baselineProblems)
    {
        var arm = pairs[0].Arm;
        if (arm.Strategy == TrainingStrategy.FeatureExtraction && !arm.HasSource)
        {
            // The frozen-random control is not a transfer: it says whether freezing costs capacity here.
            var mean = paired.Average();
            return (TransferVerdict.Control, high < 0
                ? $"a frozen random backbone scores {mean:+0.000;-0.000} against training it: freezing costs capacity here, so compare frozen sources with this arm too"
                : low > 0 ? $"a frozen random backbone scores {mean:+0.000;-0.000} against training it: the baseline is weak here (under-trained, or the task is nearly linear)"
                : $"a frozen random backbone scores {mean:+0.000;-0.000} against training it: no clear cost of freezing");
        }
        var (verdict, reason) = Judge(paired, low, high, equivalence, minimumGain);
        // Fairness: an under-trained or failed baseline, or an arm given more steps, inflates the arm. That can only make a
        // verdict look better than it is: a negative one stands (it would be more negative still); any other is withheld.
        var underTrained = pairs.Where(p => baselineProblems.ContainsKey(p.Base.Seed)).Select(p => (p.Base.Seed, Problem: baselineProblems[p.Base.Seed])).ToList();
        // More steps for the arm are unfair unless its baseline stopped early, i.e. showed it did not need its whole budget.
        var moreSteps = pairs.Where(p => p.Arm.BudgetSteps > p.Base.BudgetSteps && p.Base.BudgetSteps > 0 && p.Base.StepsDone >= p.Base.BudgetSteps)
            .Select(p => (p.Arm.Seed, Problem: $"a budget of {p.Arm.BudgetSteps} optimizer steps against the baseline's {p.Base.BudgetSteps}")).ToList();
        var unfair = (underTrained.Count > 0 ? "baseline under-trained — " + BySeeds(underTrained) : null)
            ?? (moreSteps.Count > 0 ? "the arm had more optimization than the baseline — " + BySeeds(moreSteps) : null);
        if (unfair is not null)
        {
            return verdict == TransferVerdict.Negative
                ? (verdict, $"negative even against an unfair comparison ({unfair})")
                : (TransferVerdict.Unreliable, unfair);
        }
        // An arm that had not converged: a loss might be its schedule, not its source.
        var armUnconverged = pairs.Where(p => p.Arm.Converged == false).Select(p => (p.Arm.Seed, Problem: $"not converged: {p.Arm.ConvergenceNote}")).ToList();
        return (verdict, armUnconverged.Count) switch
        {
            (TransferVerdict.Negative, > 0) => (TransferVerdict.Unreliable, "arm under-trained — " + BySeeds(armUnconverged)),
            (TransferVerdict.Positive, > 0) => (verdict, "even though the arm itself had not converged: " + BySeeds(armUnconverged)),
            _ => (verdict, reason),
        };
    }

    /// <summary>The verdict the seed-paired differences support on their own.</summary>
    private static (TransferVerdict, string?) Judge(IReadOnlyList<double> paired, double? low, double? high, (double P, double Low, double High)? equivalence,
        double minimumGain)
    {
        if (paired.Count < 2)
        {
            return (TransferVerdict.Inconclusive, "needs two or more seeds");
        }
        var equivalent = equivalence is { P: < 0.05 };
        switch (Intervals.Verdict(low, high))
        {
            case TransferVerdict.Positive when high < minimumGain && equivalent:
                return (TransferVerdict.Equivalent, $"the gain is real but below the smallest that matters ({minimumGain:0.000}); TOST p = {equivalence!.Value.P:0.000}");
            case TransferVerdict.Positive:
                return (TransferVerdict.Positive, null);
            case TransferVerdict.Negative:
                return (TransferVerdict.Negative, high > -minimumGain ? $"a real loss, though smaller than the smallest gain that matters ({minimumGain:0.000})" : null);
        }
        return equivalent
            ? (TransferVerdict.Equivalent, $"within ±{minimumGain:0.000} of the baseline (90 % interval {equivalence!.Value.Low:+0.000;-0.000} to {equivalence.Value.High:+0.000;-0.000}, TOST p = {equivalence.Value.P:0.000})")
            : (TransferVerdict.Inconclusive, null);
    }

    /// <summary>
    /// The sanity reference: a frozen random backbone with a trained head is cheap and needs no tuning; a scratch baseline of
    /// the same architecture that scores clearly below it (the control's paired interval above zero) is under-trained.
    /// </summary>
    public static IReadOnlyList<string> SanityWarnings(IReadOnlyList<ArmResultDto> results) =>
        [.. results.Where(r => r.Verdict == TransferVerdict.Control && r.DifferenceLow > 0).Select(r => FormattableString.Invariant(
            $"The scratch baseline scores below the '{r.Arm}' control ({r.Difference:+0.000} [{r.DifferenceLow:+0.000}, {r.DifferenceHigh:+0.000}]): a trained network that loses to random frozen features is under-trained. Continue its runs or give a larger budget before trusting the verdicts."))];

    /// <summary>Baseline seeds that cannot carry a verdict: not converged, or failed (far below their siblings).</summary>
    internal static IReadOnlyDictionary<int, string> BaselineProblems(IReadOnlyList<RunDto> baseline)
    {
        var problems = new Dictionary<int, string>();
        foreach (var run in baseline.Where(r => r.Converged == false))
        {
            problems[run.Seed] = $"not converged: {run.ConvergenceNote}";
        }
        if (baseline.Count >= 3)
        {
            var median = baseline.Select(r => r.TestMacroF1!.Value).Order().ElementAt(baseline.Count / 2);
            foreach (var run in baseline.Where(r => r.TestMacroF1 < median - FailedSeedGap && !problems.ContainsKey(r.Seed)))
            {
                problems[run.Seed] = $"failed: test macro-F1 {run.TestMacroF1:0.000} against its siblings' median {median:0.000}";
            }
        }
        return problems;
    }

    /// <summary>"seeds 1, 2: not converged: only 3 optimizer steps; seed 3: failed: …" — one phrase per distinct problem.</summary>
    internal static string BySeeds(IEnumerable<(int Seed, string Problem)> problems) =>
        string.Join("; ", problems.GroupBy(p => p.Problem).Select(g =>
        {
            var seeds = g.Select(p => p.Seed).Order().ToList();
            return $"{(seeds.Count == 1 ? "seed" : "seeds")} {string.Join(", ", seeds)}: {g.Key}";
        }));

    /// <summary>Per class: the paired difference in test F1 over seeds, its t-test p-value Holm-adjusted over the classes, and a
    /// flag on classes the arm significantly hurts — negative transfer hidden in a minority class while macro-F1 rises.</summary>
    internal static IReadOnlyList<ClassVerdict>? ClassVerdicts(IReadOnlyList<(RunDto Arm, RunDto Base)> pairs)
    {
        var perClass = pairs.Where(p => p.Arm.PerClass is not null && p.Base.PerClass is not null)
            .SelectMany(p => p.Arm.PerClass!.Join(p.Base.PerClass!, a => a.Class, b => b.Class, (a, b) => (a.Class, Difference: a.F1 - b.F1)))
            .GroupBy(x => x.Class).Select(g => (Class: g.Key, Differences: g.Select(x => x.Difference).ToList())).ToList();
        if (perClass.Count == 0)
        {
            return null;
        }
        var p = perClass.Select(c => PairedTests.TTestP(c.Differences)).ToList();
        var tested = p.Select((value, i) => (value, i)).Where(x => x.value is not null).ToList();
        var adjusted = PairedTests.Holm([.. tested.Select(x => x.value!.Value)]);
        var byIndex = tested.Select((x, k) => (x.i, adjusted[k])).ToDictionary(x => x.i, x => x.Item2);
        return [.. perClass.Select((c, i) =>
        {
            var mean = c.Differences.Average();
            double? holm = byIndex.TryGetValue(i, out var value) ? value : null;
            return new ClassVerdict(c.Class, mean, holm, holm < 0.05 && mean < 0);
        })];
    }

    /// <summary>How much of the best-so-far validation macro-F1 a transfer arm may trail the baseline by, on average over seeds,
    /// before the early warning fires (beside an interval that excludes zero).</summary>
    public const double WarningMargin = 0.02;

    /// <summary>
    /// "Possible negative transfer", while training and before any verdict: per seed, the arm's best validation macro-F1 so
    /// far minus the baseline's at the latest validation point both reached; the warning fires when two or more seeds give a
    /// 95 % t-interval entirely below zero and a mean below −<see cref="WarningMargin"/>. Controls are not judged.
    /// </summary>
    public static IReadOnlyList<string> EarlyWarnings(IReadOnlyList<(string Arm, int Seed, EpochMetrics Metrics)> history, IReadOnlySet<string>? controls = null) =>
        [.. EarlyWarningsByArm([.. history.Select(h => (h.Arm, h.Seed, h.Metrics.Epoch, h.Metrics.Validation.MacroF1))], controls).Select(w => w.Message)];

    /// <summary>
    /// The early warnings with the arm each is about: its numbers change every epoch, the arm does not. Takes each epoch's
    /// validation macro-F1 alone, all these warnings need.
    /// </summary>
    public static IReadOnlyList<(string Arm, string Message)> EarlyWarningsByArm(
        IReadOnlyList<(string Arm, int Seed, int Epoch, double ValidationMacroF1)> history, IReadOnlySet<string>? controls = null)
    {
        var baseline = history.Where(h => h.Arm == "baseline").GroupBy(h => h.Seed).ToDictionary(g => g.Key, g => BestSoFar(g));
        var warnings = new List<(string Arm, string Message)>();
        foreach (var arm in history.Where(h => h.Arm != "baseline" && controls?.Contains(h.Arm) != true).GroupBy(h => h.Arm).OrderBy(g => g.Key))
        {
            var differences = arm.GroupBy(h => h.Seed).Where(s => baseline.ContainsKey(s.Key)).Select(s =>
            {
                var mine = BestSoFar(s);
                var theirs = baseline[s.Key];
                var common = mine.Keys.Intersect(theirs.Keys).DefaultIfEmpty(0).Max();
                return common == 0 ? (double?)null : mine[common] - theirs[common];
            }).Where(d => d is not null).Select(d => d!.Value).ToList();
            if (differences.Count < 2)
            {
                continue;
            }
            var (mean, _, high) = Intervals.MeanT95(differences);
            if (high < 0 && mean < -WarningMargin)
            {
                warnings.Add((arm.Key, $"Possible negative transfer: '{arm.Key}' trails the baseline's best validation macro-F1 so far by {-mean:0.000} on average over {differences.Count} seeds (95 % interval below zero)."));
            }
        }
        return warnings;
    }

    private static Dictionary<int, double> BestSoFar(IEnumerable<(string Arm, int Seed, int Epoch, double ValidationMacroF1)> run)
    {
        var best = double.NegativeInfinity;
        var result = new Dictionary<int, double>();
        foreach (var h in run.OrderBy(h => h.Epoch))
        {
            best = Math.Max(best, h.ValidationMacroF1);
            result[h.Epoch] = best;
        }
        return result;
    }
}
