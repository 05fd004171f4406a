using System.Security.Claims;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using TransferHub.Registry.Features.Access;
using TransferHub.Registry.Features.Artifacts;
using TransferHub.Registry.Features.Drift;
using TransferHub.Registry.Features.Models;
using TransferHub.Shared.Common;
using TransferHub.Shared.Registry;
using TransferHub.Shared.Telemetry;

namespace TransferHub.Registry.Features.Serving;

/// <summary>An input to serve: an encoded image or a text.</summary>
public sealed record ServedInput(byte[]? Image, string? Text);

/// <summary>
/// Predictions from a registered version (the production alias by default) with the model cached across calls;
/// every prediction is logged for the drift monitor, with the raw input only where the model keeps raw inputs.
/// </summary>
public sealed partial class ServingService(
    IRegistryDatabase database, ModelAccess access, ModelCache cache, IArtifactStore artifacts, TimeProvider clock, AppMetrics metrics, ILogger<ServingService> logger)
{
    public const int MaxBatch = 64;
    public const long MaxPixels = 40_000_000;
    /// <summary>Decoded pixels one request may cost in all: eight 40-megapixel images once took 16 s of server time.</summary>
    public const long MaxRequestPixels = 64_000_000;

    /// <param name="logged">False for a person trying the model on its page: not traffic, so not logged for the drift monitor.</param>
    public async Task<PredictResponse> PredictAsync(ClaimsPrincipal caller, string model, string? version, IReadOnlyList<ServedInput> inputs, CancellationToken ct,
        bool logged = true)
    {
        using var activity = AppMetrics.Activities.StartActivity("model.predict");
        activity?.SetTag("transferhub.model", model);
        var started = clock.GetTimestamp();
        var succeeded = false;
        try
        {
            var response = await PredictCoreAsync(caller, model, version, inputs, logged, ct);
            succeeded = true;
            return response;
        }
        finally
        {
            metrics.Predicted(clock.GetElapsedTime(started), succeeded);
        }
    }

    /// <summary>Refuses a caller who may not read the model — before the route reads (up to 32 MB of) the inputs.</summary>
    public async Task RequireCanPredictAsync(ClaimsPrincipal caller, string model, CancellationToken ct) =>
        await access.RequireAsync(caller, model, a => a.CanRead, ct);

    private async Task<PredictResponse> PredictCoreAsync(ClaimsPrincipal caller, string model, string? version, IReadOnlyList<ServedInput> inputs, bool logged,
        CancellationToken ct)
    {
        var (found, _) = await access.RequireAsync(caller, model, a => a.CanRead, ct);
        if (inputs.Count is 0 or > MaxBatch)
        {
            throw ValidationFailedException.For("inputs", $"Send 1 to {MaxBatch} inputs.");
        }
        ModelVersion row;
        await using (var db = await database.OpenAsync(ct))
        {
            row = await VersionViews.FindAsync(db, found.Id, version ?? "production", ct);
        }
        if (row.Stage == ModelStage.Archived)
        {
            throw new ConflictException($"Version {row.Number} is archived and no longer serves predictions.");
        }
        var spec = JsonSerializer.Deserialize<InputSpec>(row.InputJson, RegistryRules.Json)!;
        var text = spec.Kind == "text";
        if (inputs.Any(i => text ? i.Text is null : i.Image is null))
        {
            throw ValidationFailedException.For("inputs", text ? "This model reads texts: send JSON {\"text\"} or {\"texts\": [...]}." : "This model reads images: send them as multipart files.");
        }
        var stats = new (int? Width, int? Height, double Stat)[inputs.Count];
        var pixels = 0L;
        for (var i = 0; i < inputs.Count; i++)
        {
            if (text)
            {
                stats[i] = inputs[i].Text!.Length <= ModelLimits.MaxRawTextLength
                    ? (null, null, inputs[i].Text!.Length)
                    : throw ValidationFailedException.For($"inputs[{i}]", $"A text is limited to {ModelLimits.MaxRawTextLength} characters.");
                continue;
            }
            var image = InputStats.Image(inputs[i].Image!, MaxPixels) ?? throw ValidationFailedException.For($"inputs[{i}]", "The image is corrupt or not an image (PNG, JPEG, WebP, BMP, GIF).");
            if ((long)image.Width * image.Height > MaxPixels)
            {
                throw ValidationFailedException.For($"inputs[{i}]", "Images over 40 megapixels are refused.");
            }
            pixels += (long)image.Width * image.Height;
            if (pixels > MaxRequestPixels)
            {
                throw ValidationFailedException.For("inputs", $"A request decodes at most {MaxRequestPixels / 1_000_000} megapixels in all: send large images in smaller batches, or downscaled.");
            }
            stats[i] = (image.Width, image.Height, image.Brightness);
        }

        IReadOnlyList<ModelOutput> outputs;
        IReadOnlyList<string> classes;
        using (var lease = await cache.AcquireAsync(row, ct))
        {
            var loaded = lease.Model;
            classes = loaded.Classes;
            try
            {
                outputs = text
                    ? await Task.Run(() => loaded.PredictTexts([.. inputs.Select(i => i.Text!)]), ct)
                    : await Task.Run(() => loaded.PredictImages([.. inputs.Select(i => i.Image!)], spec.ImageSize ?? 32), ct);
            }
            catch (InvalidDataException e)
            {
                throw ValidationFailedException.For("inputs", e.Message);
            }
        }
        var predictions = outputs.Select(o =>
        {
            var best = ArgMax(o.Probabilities);
            return new PredictionDto(classes[best], o.Probabilities[best],
                classes.Select((c, k) => (c, k)).ToDictionary(p => p.c, p => (double)o.Probabilities[p.k]));
        }).ToList();
        if (logged)
        {
            await LogAsync(found, row, inputs, outputs, stats, predictions, ct);
        }
        return new PredictResponse(found.Name, row.Number, row.Stage, predictions);
    }

    private async Task LogAsync(RegisteredModel model, ModelVersion version, IReadOnlyList<ServedInput> inputs, IReadOnlyList<ModelOutput> outputs,
        (int? Width, int? Height, double Stat)[] stats, List<PredictionDto> predictions, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        await using var db = await database.OpenAsync(ct);
        for (var i = 0; i < inputs.Count; i++)
        {
            var input = inputs[i];
            var bytes = input.Image ?? System.Text.Encoding.UTF8.GetBytes(input.Text!);
            var hash = Convert.ToHexStringLower(SHA256.HashData(bytes));
            string? rawKey = null;
            if (model.KeepRawInputs && input.Image is not null)
            {
                // Content-addressed: the same image sent twice is stored once.
                rawKey = $"predictions/{model.Id:N}/{hash}";
                if (await artifacts.GetInfoAsync(rawKey, ct) is null)
                {
                    using var content = new MemoryStream(input.Image, writable: false);
                    await artifacts.PutAsync(rawKey, content, ct);
                }
            }
            db.PredictionLogs().Add(new PredictionLog
            {
                ModelId = model.Id, VersionId = version.Id, At = now, PredictedIndex = ArgMax(outputs[i].Probabilities),
                Label = predictions[i].Label, Confidence = predictions[i].Confidence, InputStat = stats[i].Stat, Width = stats[i].Width, Height = stats[i].Height,
                Embedding = InputStats.EncodeEmbedding(outputs[i].Embedding), ContentHash = hash, RawKey = rawKey,
                RawText = model.KeepRawInputs ? input.Text : null, ContentType = input.Image is null ? null : "image",
            });
        }
        await db.SaveChangesAsync(ct);
        LogServed(logger, model.Name, version.Number, inputs.Count);
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Model {Model} v{Version} served {Count} predictions")]
    private static partial void LogServed(ILogger logger, string model, int version, int count);

    /// <summary>The index of the most probable class.</summary>
    public static int ArgMax(float[] values)
    {
        var best = 0;
        for (var i = 1; i < values.Length; i++)
        {
            if (values[i] > values[best])
            {
                best = i;
            }
        }
        return best;
    }
}
