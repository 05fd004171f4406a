using TransferHub.Shared.Experiments;

namespace TransferHub.Web.Features.Experiments;

/// <summary>
/// How well ranking sources before training predicted what the experiments found: per experiment with two or more scored
/// sources, whether the source LogME (or LEEP) ranked first had the best arm, and Kendall's τ between the scores and the
/// arms' mean test macro-F1; then counted and averaged over the project's experiments.
/// </summary>
public static class TransferabilityRecord
{
    /// <param name="scores">Per dataset version and source: LogME and LEEP.</param>
    /// <param name="outcomes">Per experiment: its version, and per source the arm's mean test macro-F1 (the frozen arm where there is one).</param>
    public static TransferabilityRecordDto Compute(
        IReadOnlyList<(Guid VersionId, Guid SourceId, double? LogMe, double? Leep)> scores,
        IReadOnlyList<(Guid ExperimentId, Guid VersionId, Guid SourceId, double Outcome)> outcomes)
    {
        var judged = new List<(bool LogMeTop, bool LeepTop, double? LogMeTau, double? LeepTau)>();
        foreach (var experiment in outcomes.GroupBy(o => (o.ExperimentId, o.VersionId)))
        {
            var rows = experiment.Join(scores.Where(s => s.VersionId == experiment.Key.VersionId), o => o.SourceId, s => s.SourceId,
                (o, s) => (o.Outcome, s.LogMe, s.Leep)).ToList();
            if (rows.Count < 2)
            {
                continue;
            }
            var best = rows.Max(r => r.Outcome);
            bool Top(Func<(double Outcome, double? LogMe, double? Leep), double?> score) =>
                rows.Where(r => score(r) is not null).MaxBy(r => score(r)!.Value) is { } picked && picked.Outcome == best;
            double? Tau(Func<(double Outcome, double? LogMe, double? Leep), double?> score)
            {
                var scored = rows.Where(r => score(r) is not null).ToList();
                return scored.Count < 2 ? null : KendallTau([.. scored.Select(r => score(r)!.Value)], [.. scored.Select(r => r.Outcome)]);
            }
            judged.Add((Top(r => r.LogMe), Top(r => r.Leep), Tau(r => r.LogMe), Tau(r => r.Leep)));
        }
        double? Mean(IEnumerable<double?> values) => values.Where(v => v is not null).Select(v => v!.Value).DefaultIfEmpty(double.NaN).Average() is var m && double.IsFinite(m) ? m : null;
        var record = new TransferabilityRecordDto(judged.Count, judged.Count(j => j.LogMeTop), judged.Count(j => j.LeepTop),
            Mean(judged.Select(j => j.LogMeTau)), Mean(judged.Select(j => j.LeepTau)), "");
        return record with { Summary = Describe(record) };
    }

    private static string Describe(TransferabilityRecordDto r) => r.Experiments == 0
        ? "No track record yet: rank sources before an experiment with two or more of them, and this says how often the ranking was right."
        : FormattableString.Invariant($"In this project LogME's first choice had the best arm in {r.LogMeTopHits} of {r.Experiments} experiment(s)") +
          (r.LogMeTau is { } lt ? FormattableString.Invariant($" (Kendall τ {lt:0.00})") : "") +
          FormattableString.Invariant($"; LEEP's in {r.LeepTopHits}") + (r.LeepTau is { } pt ? FormattableString.Invariant($" (τ {pt:0.00})") : "") + ".";

    /// <summary>Kendall's τ-b between two paired lists (ties in either count as neither concordant nor discordant); null when one list is constant.</summary>
    public static double? KendallTau(IReadOnlyList<double> a, IReadOnlyList<double> b)
    {
        long concordant = 0, discordant = 0, tiesA = 0, tiesB = 0;
        for (var i = 0; i < a.Count; i++)
        {
            for (var j = i + 1; j < a.Count; j++)
            {
                var (da, db) = (Math.Sign(a[i] - a[j]), Math.Sign(b[i] - b[j]));
                if (da == 0 && db == 0) continue;
                if (da == 0) tiesA++;
                else if (db == 0) tiesB++;
                else if (da == db) concordant++;
                else discordant++;
            }
        }
        var denominator = Math.Sqrt((double)(concordant + discordant + tiesA) * (concordant + discordant + tiesB));
        return denominator == 0 ? null : (concordant - discordant) / denominator;
    }
}
