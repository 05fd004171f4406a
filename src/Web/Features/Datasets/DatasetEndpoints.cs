using System.Security.Claims;
using Microsoft.AspNetCore.Mvc;
using TransferHub.Registry.Features.Artifacts;
using TransferHub.Shared.Datasets;
using TransferHub.Web.Features.Datasets.Import;
using TransferHub.Web.Features.Labeling;
using TransferHub.Web.Infrastructure;

namespace TransferHub.Web.Features.Datasets;

public static class DatasetEndpoints
{
    /// <summary>Largest upload one import request may carry.</summary>
    public const long MaxUploadBytes = 2L * 1024 * 1024 * 1024;

    public static RouteGroupBuilder MapDatasetEndpoints(this RouteGroupBuilder api)
    {
        var byProject = api.MapGroup("/projects/{projectId:guid}/datasets").WithTags("Datasets");
        byProject.MapGet("/", (Guid projectId, ClaimsPrincipal user, DatasetService datasets, CancellationToken ct) => datasets.ListAsync(user, projectId, ct))
            .WithSummary("Datasets of a project, with progress counts.");
        byProject.MapPost("/", async (Guid projectId, CreateDatasetRequest request, ClaimsPrincipal user, DatasetService datasets, CancellationToken ct) =>
        {
            var dataset = await datasets.CreateAsync(user, projectId, request, ct);
            return Results.Created($"/api/datasets/{dataset.Id}", dataset);
        }).WithSummary("Creates a dataset: kind image or text, single- or multi-label, its labels (Owner, Scientist).");

        var one = api.MapGroup("/datasets/{datasetId:guid}").WithTags("Datasets");
        one.MapGet("/", (Guid datasetId, ClaimsPrincipal user, DatasetService datasets, CancellationToken ct) => datasets.GetAsync(user, datasetId, ct));
        one.MapPut("/", (Guid datasetId, UpdateDatasetRequest request, ClaimsPrincipal user, DatasetService datasets, CancellationToken ct) =>
            datasets.UpdateAsync(user, datasetId, request, ct)).WithSummary("Renames, changes the guideline or the overlap share.");
        one.MapDelete("/", async (Guid datasetId, ClaimsPrincipal user, DatasetService datasets, CancellationToken ct) =>
        {
            await datasets.DeleteAsync(user, datasetId, ct);
            return Results.NoContent();
        });
        one.MapPost("/labels", (Guid datasetId, LabelRequest request, ClaimsPrincipal user, DatasetService datasets, CancellationToken ct) =>
            datasets.AddLabelAsync(user, datasetId, request, ct)).WithSummary("Adds a label; the label set can grow at any time.");
        one.MapPut("/labels/{labelId:guid}", (Guid datasetId, Guid labelId, LabelRequest request, ClaimsPrincipal user, DatasetService datasets, CancellationToken ct) =>
            datasets.UpdateLabelAsync(user, datasetId, labelId, request, ct));
        one.MapDelete("/labels/{labelId:guid}", async (Guid datasetId, Guid labelId, ClaimsPrincipal user, DatasetService datasets, CancellationToken ct) =>
        {
            await datasets.DeleteLabelAsync(user, datasetId, labelId, ct);
            return Results.NoContent();
        }).WithSummary("Deletes an unused label; a label in use is a conflict.");
        one.MapGet("/items", (Guid datasetId, string? status, string? label, string? annotator, string? q, double? minConfidence, double? maxConfidence,
                int? page, int? pageSize, ClaimsPrincipal user, DataManagerService manager, CancellationToken ct) =>
            manager.ListAsync(user, datasetId, new ItemFilter(status, label, annotator, q, minConfidence, maxConfidence), page ?? 1, pageSize ?? 50, ct))
            .WithSummary("Items, filtered and paged: status = all|labeled|unlabeled|review|drift|prelabeled, label, annotator (id or e-mail), q (text or file name), min/maxConfidence (pre-label).");
        one.MapPost("/items/bulk", (Guid datasetId, BulkItemsRequest request, ClaimsPrincipal user, DataManagerService manager, CancellationToken ct) =>
            manager.BulkAsync(user, datasetId, request, ct)).WithSummary("Reviewer, Owner: settle up to 500 items as labels (action relabel) or send them to review (action review).");
        one.MapGet("/agreement", (Guid datasetId, ClaimsPrincipal user, AgreementService agreement, CancellationToken ct) =>
            agreement.ComputeAsync(user, datasetId, ct)).WithSummary("Inter-annotator agreement, per label and per annotator.");
        one.MapGet("/disagreements", async (Guid datasetId, int? take, ClaimsPrincipal user, LabelingService labeling, CancellationToken ct) =>
            (await labeling.DisagreementsAsync(user, datasetId, take ?? 50, ct)).Select(d => new { d.Item, votes = d.Votes.Select(v => new { annotator = v.Annotator, labels = v.Labels }) }))
            .WithSummary("The review queue: items whose annotators disagree (Reviewer, Owner).");
        one.MapGet("/activity", (Guid datasetId, int? take, ClaimsPrincipal user, LabelingService labeling, CancellationToken ct) =>
            labeling.ActivityAsync(user, datasetId, take ?? 20, ct)).WithSummary("Latest label changes, newest first.");
        one.MapGet("/imports", (Guid datasetId, ClaimsPrincipal user, ImportService imports, CancellationToken ct) => imports.ListAsync(user, datasetId, ct));
        one.MapPost("/imports", async (Guid datasetId, HttpRequest request, ClaimsPrincipal user, ImportService imports, CancellationToken ct) =>
        {
            await imports.RequireCanImportAsync(user, datasetId, ct); // an outsider's upload is refused unread
            if (!request.HasFormContentType)
            {
                return Results.Problem(statusCode: 415, title: "Unsupported media type", detail: "Send multipart/form-data with one or more 'files'.");
            }
            IFormCollection form;
            try
            {
                form = await request.ReadFormAsync(ct);
            }
            catch (Exception e) when (e is InvalidDataException or IOException && !ct.IsCancellationRequested)
            {
                // A body cut short or not multipart after all: the client's mistake, said as such (was a 500).
                return Results.Problem(statusCode: 400, title: "Unreadable upload", detail: $"The multipart body could not be read: {e.Message}");
            }
            var files = form.Files.Select(f => new UploadFile(f.FileName, _ => Task.FromResult(f.OpenReadStream()))).ToList();
            var labelsAs = form["labelsAs"].FirstOrDefault() is not { Length: > 0 } given ? ImportedLabels.GroundTruth
                : Enum.TryParse<ImportedLabels>(given, ignoreCase: true, out var parsed) && Enum.IsDefined(parsed) ? parsed
                : throw ValidationFailedException.For("labelsAs", "labelsAs is GroundTruth (the default) or PreLabel.");
            var import = await imports.StartAsync(user, datasetId, files, new TextColumns(form["textColumn"].FirstOrDefault(), form["labelColumn"].FirstOrDefault()), ct,
                labelsAs);
            return Results.Accepted($"/api/imports/{import.Id}", import);
        }).WithMetadata(new RequestSizeLimitAttribute(MaxUploadBytes), new RequestFormLimitsAttribute { MultipartBodyLengthLimit = MaxUploadBytes })
            .WithSummary("Imports files (multipart 'files': images, .zip in ImageFolder layout, .csv with textColumn/labelColumn, .jsonl, .txt; labelsAs: GroundTruth, the default, or PreLabel). Runs in the background; poll the import.");

        api.MapGet("/imports/{importId:guid}", (Guid importId, ClaimsPrincipal user, ImportService imports, CancellationToken ct) =>
            imports.GetAsync(user, importId, ct)).WithTags("Datasets").WithSummary("An import's progress and report.");

        var items = api.MapGroup("/items/{itemId:guid}").WithTags("Labeling");
        items.MapGet("/", async (Guid itemId, ClaimsPrincipal user, LabelingService labeling, CancellationToken ct) => (await labeling.GetAsync(user, itemId, ct)).Item);
        items.MapGet("/content", (HttpContext http, Guid itemId, ClaimsPrincipal user, LabelingService labeling, IArtifactStore store, CancellationToken ct) =>
            ContentAsync(http, itemId, user, labeling, store, thumbnail: false, ct)).WithSummary("The image bytes, or the text as text/plain.");
        items.MapGet("/thumbnail", (HttpContext http, Guid itemId, ClaimsPrincipal user, LabelingService labeling, IArtifactStore store, CancellationToken ct) =>
            ContentAsync(http, itemId, user, labeling, store, thumbnail: true, ct));
        items.MapPut("/annotation", (Guid itemId, AnnotationRequest request, ClaimsPrincipal user, LabelingService labeling, CancellationToken ct) =>
            labeling.SubmitAsync(user, itemId, request.Labels ?? [], null, ct)).WithSummary("Sets the caller's labels for the item (by name).");
        items.MapPut("/resolution", (Guid itemId, AnnotationRequest request, ClaimsPrincipal user, LabelingService labeling, CancellationToken ct) =>
            labeling.ResolveAsync(user, itemId, request.Labels ?? [], ct)).WithSummary("A Reviewer settles the item's final labels.");
        items.MapGet("/history", (Guid itemId, ClaimsPrincipal user, LabelingService labeling, CancellationToken ct) =>
            labeling.HistoryAsync(user, itemId, ct)).WithSummary("Every change to the item's labels: who, when, from → to.");
        return api;
    }

    private static async Task<IResult> ContentAsync(HttpContext http, Guid itemId, ClaimsPrincipal user, LabelingService labeling, IArtifactStore store, bool thumbnail, CancellationToken ct)
    {
        var (item, _) = await labeling.GetItemAsync(user, itemId, ct);
        // An item's bytes never change: the person's own browser keeps them for an hour (private: no shared cache), so a
        // page of thumbnails shown again costs no request. Access is checked on every request that does reach us.
        http.Response.Headers.CacheControl = "private, max-age=3600, immutable";
        if (item.Text is not null)
        {
            return Results.Text(item.Text, "text/plain; charset=utf-8");
        }
        var key = thumbnail ? item.ThumbnailKey! : item.BlobKey!;
        var stream = await store.OpenReadAsync(key, ct);
        // Content-addressed: the bytes behind this URL never change.
        return Results.Stream(stream, thumbnail ? "image/jpeg" : item.ContentType, entityTag: new Microsoft.Net.Http.Headers.EntityTagHeaderValue($"\"{item.ContentHash}\""));
    }
}
