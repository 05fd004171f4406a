using System.Security.Claims;

namespace TransferHub.Shared.Datasets;

/// <summary>How far the annotators of a dataset agree: <paramref name="Overall"/> is null when too few items were labeled twice.</summary>
public sealed record AgreementSummary(string Method, double? Overall, int ItemsWithTwoOrMore);

/// <summary>Annotator agreement as other modules ask for it (a production request's policy check); labeling answers.</summary>
public interface IDatasetAgreement
{
    /// <summary>
    /// The agreement on the dataset a version was taken from, now; null when that version no longer exists. Throws
    /// <c>ForbiddenException</c> when the caller may not read the dataset.
    /// </summary>
    Task<AgreementSummary?> OfDatasetVersionAsync(ClaimsPrincipal caller, Guid datasetVersionId, CancellationToken ct);
}
