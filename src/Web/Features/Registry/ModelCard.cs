using TransferHub.Shared.Statistics;
using System.Globalization;
using System.Text;
using TransferHub.Shared.Datasets;
using TransferHub.Shared.Experiments;
using TransferHub.Shared.Registry;
using TransferHub.Web.Infrastructure;

namespace TransferHub.Web.Features.Registry;

/// <summary>
/// A generated model card (markdown) from what the registry recorded: data, metrics with intervals, transfer verdict,
/// lineage, intended use and limitations. Nothing in it is typed by hand except the model's description.
/// </summary>
public static class ModelCard
{
    public static string Write(ModelDto model, ModelVersionDto v, VersionDto data, DatasetDto dataset, ArmResultDto? arm, string? baselineArm)
    {
        var md = new StringBuilder();
        void Line(FormattableString s) => md.AppendLine(s.ToString(CultureInfo.InvariantCulture));
        Line($"# {Markdown.Text(model.Name)} v{v.Version}");
        md.AppendLine();
        if (model.Description is { } description)
        {
            md.AppendLine(description).AppendLine();
        }
        Line($"## Model");
        Line($"- Architecture: `{v.Architecture}`; input: {v.Input.Kind} ({v.Input.Preprocessing})");
        Line($"- Labels: {string.Join(", ", v.Labels.Select(Markdown.Text))}");
        Line($"- Weights: `{v.ArtifactKey}`, {v.SizeBytes:N0} bytes, SHA-256 `{v.Sha256}`");
        Line($"- Stage: {v.Stage}; registered by {Markdown.Text(v.RegisteredBy)} on {v.RegisteredAt:yyyy-MM-dd}");
        md.AppendLine();
        Line($"## Training data");
        Line($"- Dataset **{Markdown.Text(dataset.Name)}** ({dataset.Kind}), version {data.Number}, content hash `{v.DatasetVersionHash}`");
        Line($"- {data.ItemCount} items: {data.LabelCounts.Sum(c => c.Train)} train, {data.LabelCounts.Sum(c => c.Validation)} validation, {data.LabelCounts.Sum(c => c.Test)} test (split seed {data.Seed})");
        foreach (var c in data.LabelCounts)
        {
            Line($"  - {Markdown.Text(c.Label)}: {c.Train} / {c.Validation} / {c.Test}");
        }
        foreach (var warning in data.Warnings)
        {
            Line($"- ⚠ {Markdown.Text(warning)}");
        }
        md.AppendLine();
        Line($"## Training");
        Line($"- Experiment **{Markdown.Text(v.ExperimentName)}**, arm {Markdown.Code(v.Arm)} ({v.Hyperparameters.Strategy}), seed {v.Seed}");
        Line($"- Up to {v.Hyperparameters.Epochs} epochs, batch {v.Hyperparameters.BatchSize}, learning rate {v.Hyperparameters.LearningRate}, weight decay {v.Hyperparameters.WeightDecay}");
        md.AppendLine(v.SourceModelVersionId is { } source ? $"- Transferred from registered version `{source}` (see lineage)"
            : v.SourceWeightsSha256 is { } sha ? $"- Transferred from weights with SHA-256 `{sha}`" : "- Trained from random initialisation (no source)");
        md.AppendLine();
        Line($"## Evaluation (held-out test split)");
        if (v.TestMetrics is { } m)
        {
            Line($"- This seed: macro-F1 **{m.MacroF1:0.000}**, accuracy {m.Accuracy:0.000}, expected calibration error {m.ExpectedCalibrationError:0.000}");
            Line($"");
            Line($"| label | precision | recall | F1 | support |");
            Line($"|---|---|---|---|---|");
            foreach (var c in m.PerClass)
            {
                Line($"| {Markdown.Text(c.Class < v.Labels.Count ? v.Labels[c.Class] : c.Class.ToString(CultureInfo.InvariantCulture))} | {c.Precision:0.000} | {c.Recall:0.000} | {c.F1:0.000} | {c.Support} |");
            }
        }
        else
        {
            md.AppendLine("- No test metrics were recorded for this run.");
        }
        if (arm is { Mean: { } mean })
        {
            Line($"- The arm over {arm.Seeds} seed(s): mean macro-F1 {mean:0.000} {(arm.Low is { } low && arm.High is { } high ? FormattableString.Invariant($"(95 % CI {low:0.000} to {high:0.000})") : "(one seed: no interval; train more seeds for one)")}");
        }
        if (arm is { Difference: { } diff })
        {
            Line($"- Against the baseline{(baselineArm is null ? "" : $" ({Markdown.Code(baselineArm)})")}, paired by seed: {diff:+0.000;-0.000} (95 % CI {arm.DifferenceLow:0.000} to {arm.DifferenceHigh:0.000}) → **{arm.VerdictText}**{(arm.Reason is { Length: > 0 } why ? $" ({Markdown.Text(why)})" : "")}");
        }
        md.AppendLine();
        Line($"## Intended use");
        Line($"Classifying {dataset.Kind.ToString().ToLowerInvariant()} inputs into {string.Join(", ", v.Labels.Select(Markdown.Text))}, for inputs like those of **{Markdown.Text(dataset.Name)}**. Each prediction is logged and monitored for drift against this version's held-out predictions.");
        md.AppendLine();
        Line($"## Limitations");
        Line($"- Evaluated on {data.LabelCounts.Sum(c => c.Test)} test items; intervals over few seeds are wide.");
        Line($"- Inputs unlike the training data are out of scope: watch the drift status, and send uncertain inputs (confidence < {model.Drift.LowConfidence:0.00}) to labeling.");
        if (v.Verdict is TransferVerdict.Negative or TransferVerdict.Inconclusive or TransferVerdict.Equivalent)
        {
            Line($"- The transfer verdict is **{TransferVerdicts.Describe(v.Verdict.Value)}**: the source did not demonstrably help on this data.");
        }
        if (v.Verdict is TransferVerdict.Unreliable)
        {
            Line($"- The transfer verdict is **unreliable**: the comparison with the baseline was unfair ({Markdown.Text(v.VerdictReason)}).");
        }
        if (!v.HasReferenceProfile)
        {
            md.AppendLine("- No drift reference profile: drift cannot be judged for this version.");
        }
        return md.ToString();
    }
}
