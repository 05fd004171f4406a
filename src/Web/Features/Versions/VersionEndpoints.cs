using System.Security.Claims;
using TransferHub.Registry.Features.Artifacts;
using TransferHub.Shared.Datasets;
using TransferHub.Web.Infrastructure;

namespace TransferHub.Web.Features.Versions;

public static class VersionEndpoints
{
    public static RouteGroupBuilder MapVersionEndpoints(this RouteGroupBuilder api)
    {
        var byDataset = api.MapGroup("/datasets/{datasetId:guid}/versions").WithTags("Versions");
        byDataset.MapGet("/", (Guid datasetId, ClaimsPrincipal user, VersionService versions, CancellationToken ct) => versions.ListAsync(user, datasetId, ct));
        byDataset.MapPost("/", async (Guid datasetId, CreateVersionRequest request, ClaimsPrincipal user, VersionService versions, CancellationToken ct) =>
        {
            var version = await versions.CreateAsync(user, datasetId, request, ct);
            return Results.Created($"/api/versions/{version.Id}", version);
        }).WithSummary("Snapshots the labeled items into an immutable version with a stratified split (Owner, Scientist).");

        var one = api.MapGroup("/versions/{versionId:guid}").WithTags("Versions");
        one.MapGet("/", async (Guid versionId, ClaimsPrincipal user, VersionService versions, CancellationToken ct) => (await versions.GetAsync(user, versionId, ct)).Version);
        one.MapGet("/diff/{otherId:guid}", (Guid versionId, Guid otherId, ClaimsPrincipal user, VersionService versions, CancellationToken ct) =>
            versions.DiffAsync(user, versionId, otherId, ct)).WithSummary("What changed from this version to the other.");
        one.MapGet("/export", async (Guid versionId, string? format, HttpContext http, ClaimsPrincipal user, VersionService versions, IArtifactStore store, CancellationToken ct) =>
        {
            format = (format ?? "csv").ToLowerInvariant();
            if (!VersionExport.Formats.Contains(format))
            {
                throw ValidationFailedException.For("format", "Formats: csv, jsonl, imagefolder.");
            }
            var (version, dataset) = await versions.GetAsync(user, versionId, ct);
            if (format == "imagefolder" && dataset.Kind != DatasetKind.Image)
            {
                throw ValidationFailedException.For("format", "imagefolder is for image datasets; use csv or jsonl.");
            }
            await VersionExport.WriteAsync(http, versions, store, version, dataset, format, ct);
            return Results.Empty;
        }).WithSummary("Streams the version as csv, jsonl or imagefolder (a zip of split/label/file).");
        return api;
    }
}
