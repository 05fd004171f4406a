using System.Globalization;
using TransferHub.Shared.Registry;

namespace TransferHub.Registry.Features.Drift;

/// <summary>Statuses of a drift test or run.</summary>
public static class DriftStatus
{
    public const string Ok = "ok";
    public const string Warning = "warning";
    public const string Drift = "drift";
    public const string NotEnoughData = "not enough data";

    /// <summary>Worse statuses rank higher; "not enough data" ranks lowest: it never raises an alert.</summary>
    public static int Rank(string status) => status switch { Drift => 3, Warning => 2, Ok => 1, _ => 0 };
}

/// <summary>What a model predicted on a set of inputs: the sample a drift test compares.</summary>
public sealed record PredictionSample(IReadOnlyList<int> ClassCounts, IReadOnlyList<double> Confidences, IReadOnlyList<double> InputStats,
    IReadOnlyList<float[]> Embeddings);

/// <summary>Runs every drift test on a window against the reference and combines them: the worst test sets the status.</summary>
public static class DriftEvaluator
{
    public static (string Status, IReadOnlyList<DriftTestDto> Tests) Evaluate(PredictionSample reference, PredictionSample current, DriftSettings settings, string inputFeature)
    {
        var n = current.Confidences.Count;
        var r = reference.Confidences.Count;
        if (n < settings.MinSamples || r < settings.MinSamples)
        {
            var why = F($"{n} predictions in the window and {r} in the reference; at least {settings.MinSamples} of each are needed to judge.");
            return (DriftStatus.NotEnoughData, [new DriftTestDto("all", "-", null, null, DriftStatus.NotEnoughData, why)]);
        }
        var tests = new List<DriftTestDto>();
        var psi = DriftStatistics.Psi(reference.ClassCounts, current.ClassCounts);
        tests.Add(new("PSI", "predicted class", psi, null,
            psi >= settings.PsiDrift ? DriftStatus.Drift : psi >= settings.PsiWarning ? DriftStatus.Warning : DriftStatus.Ok,
            F($"PSI {psi:0.000} (warning ≥ {settings.PsiWarning}, drift ≥ {settings.PsiDrift}).")));
        var chi = DriftStatistics.ChiSquare(reference.ClassCounts, current.ClassCounts);
        tests.Add(ByP("chi-square", "predicted class", chi.Statistic, chi.PValue, settings, F($"χ² {chi.Statistic:0.00}, {chi.DegreesOfFreedom} df")));
        var ks = DriftStatistics.KolmogorovSmirnov(reference.Confidences, current.Confidences);
        tests.Add(ByP("Kolmogorov–Smirnov", "confidence", ks.Statistic, ks.PValue, settings, F($"D {ks.Statistic:0.000}")));
        if (reference.InputStats.Count > 0 && current.InputStats.Count > 0)
        {
            var input = DriftStatistics.KolmogorovSmirnov(reference.InputStats, current.InputStats);
            tests.Add(ByP("Kolmogorov–Smirnov", inputFeature, input.Statistic, input.PValue, settings, F($"D {input.Statistic:0.000}")));
        }
        if (reference.Embeddings.Count >= 2 && current.Embeddings.Count >= 2)
        {
            var mmd = DriftStatistics.Mmd(reference.Embeddings, current.Embeddings);
            tests.Add(ByP("MMD", "embedding", mmd.Statistic, mmd.PValue, settings, F($"MMD² {mmd.Statistic:0.0000}, 200 permutations, ≤ 150 per sample")));
        }
        return (tests.MaxBy(t => DriftStatus.Rank(t.Status))!.Status, tests);
    }

    private static DriftTestDto ByP(string name, string feature, double statistic, double p, DriftSettings s, string detail) =>
        new(name, feature, statistic, p, p < s.PDrift ? DriftStatus.Drift : p < s.PWarning ? DriftStatus.Warning : DriftStatus.Ok,
            F($"{detail}, p = {p:0.0000} (warning < {s.PWarning}, drift < {s.PDrift})."));

    private static string F(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
