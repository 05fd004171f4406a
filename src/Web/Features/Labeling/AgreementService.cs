using System.Security.Claims;
using Microsoft.EntityFrameworkCore;
using TransferHub.Shared.Datasets;
using TransferHub.Shared.Statistics;
using TransferHub.Web.Data;
using TransferHub.Web.Features.Datasets;

namespace TransferHub.Web.Features.Labeling;

/// <summary>Agreement for one label: how often annotators agree on "this label or not", chance-corrected.</summary>
public sealed record LabelAgreement(string Label, double? Alpha, int Items);

/// <summary>One annotator's work: how much, how fast, and how often they match the others on shared items.</summary>
public sealed record AnnotatorStats(string UserId, string? Email, int Annotations, double? MedianSeconds, double? AgreementWithOthers);

/// <summary>Agreement of a dataset's annotators, overall and per label, with the method named.</summary>
public sealed record AgreementReport(
    string Method, double? Overall, int ItemsWithTwoOrMore, int Disagreements,
    IReadOnlyList<LabelAgreement> PerLabel, IReadOnlyList<AnnotatorStats> Annotators);

/// <summary>
/// Krippendorff's alpha (nominal) over every item labeled by two or more people — it allows any number of
/// annotators and missing ratings — and Cohen's kappa when exactly two people labeled the shared items.
/// Per label: alpha on "has this label / has not", which also serves multi-label datasets.
/// </summary>
public sealed class AgreementService(IDbContextFactory<AppDbContext> dbFactory, DatasetService datasets) : IDatasetAgreement
{
    public async Task<AgreementSummary?> OfDatasetVersionAsync(ClaimsPrincipal caller, Guid datasetVersionId, CancellationToken ct)
    {
        Guid? datasetId;
        await using (var db = await dbFactory.CreateDbContextAsync(ct))
        {
            datasetId = await db.DatasetVersions.Where(v => v.Id == datasetVersionId).Select(v => (Guid?)v.DatasetId).SingleOrDefaultAsync(ct);
        }
        if (datasetId is null)
        {
            return null;
        }
        var report = await ComputeAsync(caller, datasetId.Value, ct);
        return new AgreementSummary(report.Method, report.Overall, report.ItemsWithTwoOrMore);
    }

    public async Task<AgreementReport> ComputeAsync(ClaimsPrincipal caller, Guid datasetId, CancellationToken ct)
    {
        var (dataset, _) = await datasets.RequireAsync(caller, datasetId, a => a.CanRead, ct);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var annotations = await db.Annotations.AsNoTracking().Where(a => a.DatasetId == datasetId)
            .Select(a => new { a.ItemId, a.UserId, a.LabelIds, a.DurationMs }).ToListAsync(ct);
        var emails = await db.Users.Where(u => annotations.Select(a => a.UserId).Distinct().Contains(u.Id)).ToDictionaryAsync(u => u.Id, u => u.Email, ct);
        var shared = annotations.GroupBy(a => a.ItemId).Where(g => g.Count() >= 2).ToList();
        var raters = shared.SelectMany(g => g.Select(a => a.UserId)).Distinct().ToList();

        string method;
        double? overall;
        if (dataset.Task == LabelTask.SingleLabel && raters.Count == 2)
        {
            method = "Cohen's kappa (two annotators)";
            overall = Agreement.CohenKappa([.. shared.Select(g => (g.First(a => a.UserId == raters[0]).LabelIds, g.First(a => a.UserId == raters[1]).LabelIds))]);
        }
        else
        {
            method = dataset.Task == LabelTask.SingleLabel ? "Krippendorff's alpha (nominal)" : "Krippendorff's alpha (nominal), mean over labels";
            overall = dataset.Task == LabelTask.SingleLabel
                ? Agreement.KrippendorffAlphaNominal(shared.Select(g => (IReadOnlyList<string>)[.. g.Select(a => a.LabelIds)]))
                : null;
        }
        var perLabel = dataset.Labels.OrderBy(l => l.Order).Select(l =>
        {
            var id = l.Id.ToString();
            var units = shared.Select(g => (IReadOnlyList<bool>)[.. g.Select(a => a.LabelIds.Contains(id))]).ToList();
            return new LabelAgreement(l.Name, Agreement.KrippendorffAlphaNominal(units), units.Count(u => u.Contains(true)));
        }).ToList();
        if (dataset.Task == LabelTask.MultiLabel)
        {
            var defined = perLabel.Where(p => p.Alpha is not null).Select(p => p.Alpha!.Value).ToList();
            overall = defined.Count == 0 ? null : defined.Average();
        }

        var stats = annotations.GroupBy(a => a.UserId).Select(g =>
        {
            var durations = g.Where(a => a.DurationMs is > 0).Select(a => a.DurationMs!.Value / 1000.0).Order().ToList();
            var mine = shared.Where(s => s.Any(a => a.UserId == g.Key)).ToList();
            var matches = mine.Sum(s => { var own = s.First(a => a.UserId == g.Key).LabelIds; return s.Where(a => a.UserId != g.Key).Count(a => a.LabelIds == own); });
            var comparisons = mine.Sum(s => s.Count() - 1);
            return new AnnotatorStats(g.Key, emails.GetValueOrDefault(g.Key), g.Count(),
                durations.Count == 0 ? null : durations[durations.Count / 2],
                comparisons == 0 ? null : (double)matches / comparisons);
        }).OrderByDescending(s => s.Annotations).ToList();

        var disagreements = shared.Count(g => g.Select(a => a.LabelIds).Distinct().Count() > 1);
        return new AgreementReport(method, overall, shared.Count, disagreements, perLabel, stats);
    }
}
