using System.Globalization;
using System.Security.Claims;
using Microsoft.AspNetCore.Mvc;
using TransferHub.Shared.Training;

namespace TransferHub.Web.Features.Weights;

public static class WeightsEndpoints
{
    /// <summary>ResNet-50 is about 100 MB in float32; leave room for larger backbones.</summary>
    private const long MaxUpload = 1024L * 1024 * 1024;

    private const string ImportSummary = "Imports pretrained weights (multipart: file, and name, architecture, numClasses where the file does not say; for .onnx: channelOrder, pixelScale, mean, std, featureOutput). Refused with every mismatched shape when they do not fit the architecture; an .onnx graph is refused when it does not reproduce ONNX Runtime.";

    public static RouteGroupBuilder MapWeightsEndpoints(this RouteGroupBuilder api)
    {
        var weights = api.MapGroup("/weights").WithTags("Weights");
        weights.MapGet("/", (WeightsService service, CancellationToken ct) => service.ListAsync(ct))
            .WithSummary("Imported pretrained weights, newest first: usable as the source of transfer arms.");
        weights.MapPost("/", async (HttpRequest request, ClaimsPrincipal user, WeightsService service, CancellationToken ct) =>
        {
            WeightsService.RequireImporter(user); // a Labeler's upload is refused unread
            if (!request.HasFormContentType)
            {
                return Results.Problem(statusCode: 415, title: "Unsupported media type", detail: "Send multipart/form-data with a 'file' (.safetensors, TorchSharp .dat, .onnx, or a Hugging Face BERT folder as .zip).");
            }
            var form = await request.ReadFormAsync(ct);
            var file = form.Files.GetFile("file") ?? form.Files.FirstOrDefault();
            if (file is null)
            {
                throw ValidationFailedException.For("file", "Attach the weights as the 'file' field.");
            }
            int? classes = int.TryParse(form["numClasses"].FirstOrDefault(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : null;
            await using var content = file.OpenReadStream();
            var created = await service.ImportAsync(user, content, file.FileName, form["name"].FirstOrDefault(), form["architecture"].FirstOrDefault(), classes, ct,
                OnnxOptions(form));
            return Results.Created($"/api/weights/{created.Id}", created);
        }).WithMetadata(new RequestSizeLimitAttribute(MaxUpload), new RequestFormLimitsAttribute { MultipartBodyLengthLimit = MaxUpload })
            .WithSummary(ImportSummary);
        weights.MapGet("/hub/catalog", (Hub.HubClient hub) => Hub.HubCatalog.For(hub.OfflineRepos()))
            .WithSummary("Hub models known to load one to one into an architecture here, with the input each expects and whether this node's offline folder (Hub:OfflineFolder) holds it.");
        weights.MapPost("/hub", async (TransferHub.Shared.Weights.HubImportRequest body, ClaimsPrincipal user, WeightsService service, CancellationToken ct) =>
        {
            var created = await service.ImportFromHubAsync(user, body, null, ct);
            return Results.Created($"/api/weights/{created.Id}", created);
        }).WithSummary("Downloads a Hub repository's weights ({repo, revision?, file?, name?, architecture?}) through the configured Hub endpoint (Hub:Endpoint, Hub:Token), verifies each file's SHA-256, and imports them as an upload would be.");
        return api;
    }


    /// <summary>An .onnx file's input convention and feature cut from the form: channelOrder (rgb|bgr), pixelScale, mean and std
    /// (three numbers, comma-separated), featureOutput.</summary>
    private static OnnxImportOptions OnnxOptions(IFormCollection form)
    {
        var order = form["channelOrder"].FirstOrDefault()?.Trim().ToLowerInvariant();
        if (order is not (null or "" or "rgb" or "bgr"))
        {
            throw ValidationFailedException.For("channelOrder", "channelOrder is rgb or bgr.");
        }
        double? scale = form["pixelScale"].FirstOrDefault() is { Length: > 0 } s
            ? double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && v > 0 && double.IsFinite(v) ? v
                : throw ValidationFailedException.For("pixelScale", "pixelScale is a positive number (1, or 255 for Caffe/CNTK-style models).")
            : null;
        var feature = form["featureOutput"].FirstOrDefault();
        return new OnnxImportOptions(string.IsNullOrWhiteSpace(feature) ? null : feature.Trim(), order == "bgr", scale ?? 1,
            Triple(form, "mean", positive: false), Triple(form, "std", positive: true));
    }

    private static double[]? Triple(IFormCollection form, string field, bool positive) => Triple(form[field].FirstOrDefault(), field, positive);

    /// <summary>Three numbers, comma-separated (a mean or std per channel), or null when blank; the form and the page parse alike.</summary>
    /// <exception cref="ValidationFailedException">Not three (positive, where asked) numbers.</exception>
    public static double[]? Triple(string? text, string field, bool positive)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }
        var values = text.Split(',', StringSplitOptions.TrimEntries)
            .Select(p => double.TryParse(p, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && double.IsFinite(v) ? v : double.NaN).ToArray();
        return values.Length == 3 && values.All(v => !double.IsNaN(v) && (!positive || v > 0))
            ? values
            : throw ValidationFailedException.For(field, $"{field} is three {(positive ? "positive " : "")}numbers, comma-separated (R, G, B or the graph's order).");
    }
}
