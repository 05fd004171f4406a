using TransferHub.Registry.Features.Serving;
using TransferHub.Registry.Features.Access;
using System.Security.Claims;
using Microsoft.AspNetCore.Mvc;
using TransferHub.Shared.Registry;
using TransferHub.Web.Infrastructure;

namespace TransferHub.Web.Features.Registry;

/// <summary>Prediction routes: images as multipart files, texts as JSON; the production version unless one is named.</summary>
public static class ServingEndpoints
{
    private const long MaxBodyBytes = 32 * 1024 * 1024;

    public static RouteGroupBuilder MapServingEndpoints(this RouteGroupBuilder api)
    {
        var models = api.MapGroup("/models/{model}").WithTags("Serving").RequireRateLimiting(RateLimits.Predict);
        models.MapPost("/predict", (string model, HttpRequest request, ClaimsPrincipal user, ServingService serving, CancellationToken ct) =>
                PredictAsync(model, null, request, user, serving, ct))
            .WithMetadata(new RequestSizeLimitAttribute(MaxBodyBytes), new RequestFormLimitsAttribute { MultipartBodyLengthLimit = MaxBodyBytes })
            .WithSummary("Predicts with the production version: multipart 'files' (images) or JSON {\"text\"} / {\"texts\": [...]}; up to 64 inputs.");
        models.MapPost("/versions/{version}/predict", (string model, string version, HttpRequest request, ClaimsPrincipal user, ServingService serving, CancellationToken ct) =>
                PredictAsync(model, version, request, user, serving, ct))
            .WithMetadata(new RequestSizeLimitAttribute(MaxBodyBytes), new RequestFormLimitsAttribute { MultipartBodyLengthLimit = MaxBodyBytes })
            .WithSummary("Predicts with one version (a number, 'latest' or 'production'); archived versions refuse.");
        return api;
    }

    private static async Task<PredictResponse> PredictAsync(string model, string? version, HttpRequest request, ClaimsPrincipal user, ServingService serving, CancellationToken ct)
    {
        await serving.RequireCanPredictAsync(user, model, ct); // an outsider's upload is refused unread
        var inputs = new List<ServedInput>();
        if (request.HasFormContentType)
        {
            var form = await request.ReadFormAsync(ct);
            foreach (var file in form.Files)
            {
                using var buffer = new MemoryStream();
                await file.CopyToAsync(buffer, ct);
                inputs.Add(new ServedInput(buffer.ToArray(), null));
            }
        }
        else
        {
            PredictTextRequest? body;
            try
            {
                body = await request.ReadFromJsonAsync<PredictTextRequest>(RegistryRules.Json, ct);
            }
            catch (System.Text.Json.JsonException)
            {
                throw ValidationFailedException.For("body", "Send images as multipart files, or JSON {\"text\"} / {\"texts\": [...]}.");
            }
            catch (InvalidOperationException)
            {
                throw ValidationFailedException.For("body", "Send images as multipart files, or JSON {\"text\"} / {\"texts\": [...]}.");
            }
            if (body?.Text is { } one)
            {
                inputs.Add(new ServedInput(null, one));
            }
            inputs.AddRange((body?.Texts ?? []).Select(t => new ServedInput(null, t)));
        }
        return await serving.PredictAsync(user, model, version, inputs, ct);
    }
}
