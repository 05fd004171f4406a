using System.Globalization;
using System.Security.Claims;
using Microsoft.AspNetCore.Mvc;

namespace TransferHub.Web.Features.Weights;

public static class WeightsEndpoints
{
    /// <summary>ResNet-50 is about 100 MB in float32; leave room for larger backbones.</summary>
    private const long MaxUpload = 1024L * 1024 * 1024;

    public static RouteGroupBuilder MapWeightsEndpoints(this RouteGroupBuilder api)
    {
        var weights = api.MapGroup("/weights").WithTags("Weights");
        weights.MapGet("/", (WeightsService service, CancellationToken ct) => service.ListAsync(ct))
            .WithSummary("Imported pretrained weights, newest first: usable as the source of transfer arms.");
        weights.MapPost("/", async (HttpRequest request, ClaimsPrincipal user, WeightsService service, CancellationToken ct) =>
        {
            if (!request.HasFormContentType)
            {
                return Results.Problem(statusCode: 415, title: "Unsupported media type", detail: "Send multipart/form-data with a 'file' (.safetensors, TorchSharp .dat, or a Hugging Face BERT folder as .zip).");
            }
            var form = await request.ReadFormAsync(ct);
            var file = form.Files.GetFile("file") ?? form.Files.FirstOrDefault();
            if (file is null)
            {
                throw Infrastructure.ValidationFailedException.For("file", "Attach the weights as the 'file' field.");
            }
            int? classes = int.TryParse(form["numClasses"].FirstOrDefault(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : null;
            await using var content = file.OpenReadStream();
            var created = await service.ImportAsync(user, content, file.FileName, form["name"].FirstOrDefault(), form["architecture"].FirstOrDefault(), classes, ct);
            return Results.Created($"/api/weights/{created.Id}", created);
        }).WithMetadata(new RequestSizeLimitAttribute(MaxUpload), new RequestFormLimitsAttribute { MultipartBodyLengthLimit = MaxUpload })
            .WithSummary("Imports pretrained weights (multipart: file, and name, architecture, numClasses where the file does not say). Refused with every mismatched shape when they do not fit the architecture.");
        return api;
    }
}
