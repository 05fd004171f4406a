using TransferHub.Registry.Features.Access;
using System.Globalization;
using System.Security.Claims;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using TransferHub.Shared.Registry;
using TransferHub.Shared.Statistics;
using TransferHub.Shared.Training;
using TransferHub.Web.Data;
using TransferHub.Web.Features.Labeling;
using TransferHub.Registry.Features.Models;

namespace TransferHub.Web.Features.Registry;

/// <summary>
/// The evidence bundle of a production request: each policy the version must meet, evaluated now, with the numbers.
/// A check that cannot apply (no threshold set, no shared annotations) says so rather than passing silently.
/// </summary>
public sealed class PolicyChecks(IDbContextFactory<AppDbContext> dbFactory, AgreementService agreement)
{
    private const PolicyOutcome Passed = PolicyOutcome.Passed;
    private const PolicyOutcome Failed = PolicyOutcome.Failed;
    private const PolicyOutcome NotApplicable = PolicyOutcome.NotApplicable;

    public async Task<IReadOnlyList<PolicyCheck>> EvaluateAsync(ClaimsPrincipal caller, RegisteredModel model, ModelVersion version, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
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

        var datasetId = await db.DatasetVersions.Where(v => v.Id == version.DatasetVersionId).Select(v => (Guid?)v.DatasetId).SingleOrDefaultAsync(ct);
        if (model.AgreementThreshold is not { } minimum)
        {
            checks.Add(new("annotator agreement", NotApplicable, "The model sets no agreement threshold."));
        }
        else if (datasetId is null)
        {
            checks.Add(new("annotator agreement", Failed, "The training data version no longer exists."));
        }
        else
        {
            AgreementReport? report = null;
            try
            {
                report = await agreement.ComputeAsync(caller, datasetId.Value, ct);
            }
            catch (ForbiddenException)
            {
                // A global Approver outside the project cannot read its dataset; the check says so instead of passing.
            }
            checks.Add(report is null ? new("annotator agreement", Failed, "The training dataset is not readable by the person evaluating the checks.")
                : report.Overall is not { } value
                ? new("annotator agreement", Failed, $"No agreement could be computed ({report.ItemsWithTwoOrMore} items with two annotators).")
                : new("annotator agreement", value >= minimum ? Passed : Failed, F($"{report.Method}: {value:0.000} against a threshold of {minimum:0.000}.")));
        }

        var profile = await db.ReferenceProfiles().Where(p => p.VersionId == version.Id).Select(p => (int?)p.Size).SingleOrDefaultAsync(ct);
        checks.Add(profile is { } size
            ? new("drift reference", Passed, F($"Captured from {size} held-out predictions."))
            : new("drift reference", Failed, "No reference profile: the drift monitor could not judge this version."));

        var latest = await db.DriftRuns().Where(d => d.ModelId == model.Id).OrderByDescending(d => d.At).Select(d => d.Status).FirstOrDefaultAsync(ct);
        checks.Add(latest == TransferHub.Registry.Features.Drift.DriftStatus.Drift
            ? new("open drift alert", Failed, "The model's latest drift check found drift; relabel and retrain, or check again.")
            : new("open drift alert", Passed, latest is null ? "No drift check has run yet." : $"Latest drift check: {latest}."));
        return checks;
    }

    private static string F(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
