using System.Globalization;
using System.Security.Claims;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using TransferHub.Registry.Features.Access;
using TransferHub.Registry.Features.Drift;
using TransferHub.Registry.Features.Models;
using TransferHub.Shared.Common;
using TransferHub.Shared.Datasets;
using TransferHub.Shared.Registry;
using TransferHub.Shared.Statistics;
using TransferHub.Shared.Training;

namespace TransferHub.Registry.Features.Stages;

/// <summary>
/// The evidence bundle of a production request: each policy the version must meet, evaluated now, with the numbers.
/// A check that cannot apply (no threshold set, no shared annotations) says so rather than passing silently.
/// </summary>
public sealed class PolicyChecks(IRegistryDatabase database, IDatasetAgreement agreement)
{
    private const PolicyOutcome Passed = PolicyOutcome.Passed;
    private const PolicyOutcome Failed = PolicyOutcome.Failed;
    private const PolicyOutcome NotApplicable = PolicyOutcome.NotApplicable;

    public async Task<IReadOnlyList<PolicyCheck>> EvaluateAsync(ClaimsPrincipal caller, RegisteredModel model, ModelVersion version, CancellationToken ct)
    {
        await using var db = await database.OpenAsync(ct);
        var checks = new List<PolicyCheck>();
        var metrics = version.TestMetricsJson is null ? null : JsonSerializer.Deserialize<ClassificationMetrics>(version.TestMetricsJson, RegistryRules.Json);
        checks.Add(model.MetricThreshold is not { } threshold
            ? new("test metric", NotApplicable, "The model sets no macro-F1 threshold.")
            : metrics is null ? new("test metric", Failed, "The run recorded no test metrics.")
            : new("test metric", metrics.MacroF1 >= threshold ? Passed : Failed, F($"Test macro-F1 {metrics.MacroF1:0.000} against a threshold of {threshold:0.000}.")));

        var because = version.VerdictReason is { Length: > 0 } reason ? $" ({reason})" : "";
        checks.Add(version.Verdict switch
        {
            null => new("transfer verdict", NotApplicable, "The experiment has no verdict for this arm."),
            TransferVerdict.Negative => new("transfer verdict", Failed, $"The experiment found negative transfer for this arm{because}."),
            TransferVerdict.Unreliable => new("transfer verdict", Failed, $"The experiment's comparison was unfair, so it gives no verdict for this arm{because}: continue or re-run it with a fair budget."),
            { } v => new("transfer verdict", Passed, $"Verdict of the arm '{version.Arm}': {TransferVerdicts.Describe(v)}{because}."),
        });

        if (model.AgreementThreshold is not { } minimum)
        {
            checks.Add(new("annotator agreement", NotApplicable, "The model sets no agreement threshold."));
        }
        else
        {
            AgreementSummary? report = null;
            var readable = true;
            try
            {
                report = await agreement.OfDatasetVersionAsync(caller, version.DatasetVersionId, ct);
            }
            catch (ForbiddenException)
            {
                // A global Approver outside the project cannot read its dataset; the check says so instead of passing.
                readable = false;
            }
            checks.Add(!readable ? new("annotator agreement", Failed, "The training dataset is not readable by the person evaluating the checks.")
                : report is null ? new("annotator agreement", Failed, "The training data version no longer exists.")
                : report.Overall is not { } value
                ? new("annotator agreement", Failed, $"No agreement could be computed ({report.ItemsWithTwoOrMore} items with two annotators).")
                : new("annotator agreement", value >= minimum ? Passed : Failed, F($"{report.Method}: {value:0.000} against a threshold of {minimum:0.000}.")));
        }

        var profile = await db.ReferenceProfiles().Where(p => p.VersionId == version.Id).Select(p => (int?)p.Size).SingleOrDefaultAsync(ct);
        checks.Add(profile is { } size
            ? new("drift reference", Passed, F($"Captured from {size} held-out predictions."))
            : new("drift reference", Failed, "No reference profile: the drift monitor could not judge this version."));

        var latest = await db.DriftRuns().Where(d => d.ModelId == model.Id).OrderByDescending(d => d.At).Select(d => d.Status).FirstOrDefaultAsync(ct);
        checks.Add(latest == DriftStatus.Drift
            ? new("open drift alert", Failed, "The model's latest drift check found drift; relabel and retrain, or check again.")
            : new("open drift alert", Passed, latest is null ? "No drift check has run yet." : $"Latest drift check: {latest}."));
        return checks;
    }

    private static string F(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
