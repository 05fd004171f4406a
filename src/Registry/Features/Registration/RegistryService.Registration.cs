using System.Security.Claims;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using TransferHub.Registry.Features.Access;
using TransferHub.Registry.Features.Artifacts;
using TransferHub.Registry.Features.Models;
using TransferHub.Shared.Common;
using TransferHub.Shared.Experiments;
using TransferHub.Shared.Identity;
using TransferHub.Shared.Registry;

namespace TransferHub.Registry.Features.Registration;

public sealed partial class RegistryService
{
    /// <summary>
    /// Copies the run's weights into the model's own artifact (hashed on write), stores its ONNX export (checked against
    /// TorchSharp by ONNX Runtime), records everything the run was made of, and captures the drift reference profile.
    /// The version row is immutable from here on, except its stage.
    /// </summary>
    private async Task<ModelVersion> AddVersionAsync(ClaimsPrincipal caller, RegisteredModel model, RunForRegistration run, CancellationToken ct)
    {
        await using var db = await database.OpenAsync(ct);
        if (await db.ModelVersions().AnyAsync(v => v.ModelId == model.Id && v.RunId == run.RunId, ct))
        {
            throw new ConflictException("This run is already a version of this model.");
        }
        var dataHash = run.DatasetVersionHash ?? throw ValidationFailedException.For("runId", "The dataset version this run trained on was deleted.");
        var plan = run.Plan;

        byte[] weights;
        try
        {
            weights = await artifacts.ReadAllAsync(run.ModelKey, ct);
        }
        catch (ArtifactNotFoundException)
        {
            throw ValidationFailedException.For("runId", "This run's model is missing from the artifact store.");
        }
        var classes = SafeTensorsMetadata.Classes(SafeTensorsMetadata.Read(weights));
        var number = (await db.ModelVersions().Where(v => v.ModelId == model.Id).MaxAsync(v => (int?)v.Number, ct) ?? 0) + 1;
        var key = $"models/{model.Id:N}/v{number}/model.safetensors";
        ArtifactInfo stored;
        using (var content = new MemoryStream(weights, writable: false))
        {
            stored = await artifacts.PutAsync(key, content, ct);
        }
        var sourceVersion = plan.SourceRunId is not { } sourceRun ? null
            : await db.ModelVersions().Where(v => v.RunId == sourceRun).OrderBy(v => v.RegisteredAt).Select(v => (Guid?)v.Id).FirstOrDefaultAsync(ct);
        var input = engine.InputFor(run.Architecture, plan.ImageSize);
        var onnx = await StoreOnnxAsync(model, number, run.Architecture, weights, plan.ImageSize, ct);
        var version = new ModelVersion
        {
            ModelId = model.Id, Number = number, Stage = ModelStage.None, ArtifactKey = key, Sha256 = stored.Sha256, SizeBytes = stored.Size,
            OnnxArtifactKey = onnx?.Stored.Key, OnnxSha256 = onnx?.Stored.Sha256, OnnxCheck = onnx?.Check,
            Architecture = run.Architecture, LabelsJson = JsonSerializer.Serialize(classes), InputJson = JsonSerializer.Serialize(input, RegistryRules.Json),
            HyperparametersJson = JsonSerializer.Serialize(plan.Spec with { SourceWeights = null }, RegistryRules.Json),
            TestMetricsJson = run.TestMetrics is null ? null : JsonSerializer.Serialize(run.TestMetrics, RegistryRules.Json),
            ExperimentId = run.ExperimentId, RunId = run.RunId, Arm = run.Arm, Seed = run.Seed, Verdict = run.ArmResult?.Verdict, VerdictReason = EvidenceOf(run.ArmResult),
            DatasetVersionId = run.DatasetVersionId, DatasetVersionHash = dataHash,
            SourceModelVersionId = sourceVersion, SourceRunId = plan.SourceRunId, SourceWeightsSha256 = run.SourceWeightsSha256,
            RegisteredById = caller.UserId(), RegisteredAt = clock.GetUtcNow(),
        };
        db.ModelVersions().Add(version);
        audit.Append(db, caller, model.Id, "registered", number, $"Run {run.RunId} ({run.ExperimentName} · {run.Arm} seed {run.Seed}), SHA-256 {stored.Sha256[..12]}…."
            + (onnx is null ? "" : $" ONNX export stored ({onnx.Value.Check})."));
        await SaveAsync(db, ct);
        await CaptureProfileAsync(db, caller, model, version, plan.ImageSize, ct);
        return version;
    }

    /// <summary>
    /// The version as ONNX beside its weights, so nodes serving with ONNX Runtime load it without libtorch. An architecture
    /// without a writer, or an export ONNX Runtime does not reproduce, registers without one (served from the weights).
    /// </summary>
    private async Task<(ArtifactInfo Stored, string Check)?> StoreOnnxAsync(RegisteredModel model, int number, string architecture, byte[] weights, int imageSize, CancellationToken ct)
    {
        if (!engine.ExportsOnnx(architecture))
        {
            return null;
        }
        try
        {
            var (onnx, check) = await Task.Run(() => loader.ToOnnx(weights, imageSize), ct);
            using var content = new MemoryStream(onnx, writable: false);
            return (await artifacts.PutAsync($"models/{model.Id:N}/v{number}/model.onnx", content, ct), check);
        }
        catch (Exception e) when (e is InvalidDataException or NotSupportedException)
        {
            LogOnnxFailed(logger, e, model.Id, number);
            return null;
        }
    }

    private async Task CaptureProfileAsync(DbContext db, ClaimsPrincipal caller, RegisteredModel model, ModelVersion version, int imageSize, CancellationToken ct)
    {
        try
        {
            var profile = await profiler.CaptureAsync(version, imageSize, ct);
            // Only served versions stay loaded; a new version is not served yet.
            cache.Evict(version.Id);
            db.ReferenceProfiles().Add(profile);
            audit.Append(db, caller, model.Id, "reference captured", version.Number, $"Drift reference from {profile.Size} validation and test predictions.");
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // The version stays registered; the approval's "reference profile" check will show it is missing.
            LogProfileFailed(logger, e, version.Id);
            audit.Append(db, caller, model.Id, "reference failed", version.Number, $"No drift reference: {e.Message}");
        }
        await db.SaveChangesAsync(ct);
    }

    private static string ValidName(string? name)
    {
        name = name?.Trim() ?? "";
        if (name.Length is 0 or > RegistryRules.MaxNameLength || Guid.TryParse(name, out _) || name.Any(c => c is '/' or '?' or '#' || char.IsControl(c)))
        {
            throw ValidationFailedException.For("name", $"A model needs a name of 1 to {RegistryRules.MaxNameLength} characters without '/', '?' or '#', that is not an id.");
        }
        return name;
    }

    private static string? ValidDescription(string? description) =>
        string.IsNullOrWhiteSpace(description) ? null
        : description.Length > RegistryRules.MaxDescriptionLength ? throw ValidationFailedException.For("description", $"At most {RegistryRules.MaxDescriptionLength} characters.")
        : description.Trim();

    private static string[] ValidTags(IReadOnlyList<string>? tags)
    {
        var clean = (tags ?? []).Select(t => t.Trim()).Where(t => t.Length > 0).Distinct(StringComparer.OrdinalIgnoreCase).ToArray();
        return clean.Length > RegistryRules.MaxTags || clean.Any(t => t.Length > 50)
            ? throw ValidationFailedException.For("tags", $"At most {RegistryRules.MaxTags} tags of up to 50 characters.")
            : clean;
    }

    private static double? ValidThreshold(double? threshold) =>
        threshold is null or (>= 0 and <= 1) ? threshold : throw ValidationFailedException.For("metricThreshold", "A macro-F1 threshold lies between 0 and 1.");

    private static DriftSettings ValidDrift(DriftSettings d) =>
        d.Window is >= 10 and <= 100_000 && d.MinSamples is >= 5 && d.MinSamples <= d.Window && d.PsiWarning > 0 && d.PsiDrift >= d.PsiWarning
        && d.PWarning is > 0 and < 1 && d.PDrift > 0 && d.PDrift <= d.PWarning && d.LowConfidence is > 0 and <= 1
            ? d : throw ValidationFailedException.For("drift", "Window 10–100000, min samples 5–window, PSI warning ≤ drift, p drift ≤ p warning < 1, low confidence 0–1.");

    /// <summary>What the approval evidence keeps of an arm's verdict: its reason and the classes the arm significantly hurts.</summary>
    private static string? EvidenceOf(ArmResultDto? arm)
    {
        if (arm is null) return null;
        var hurt = arm.Classes?.Where(c => c.Hurt).Select(c => FormattableString.Invariant($"'{c.Class}' ({c.Difference:+0.000;-0.000}, Holm p = {c.AdjustedP:0.000})")).ToList() ?? [];
        var parts = new[] { arm.Reason, hurt.Count == 0 ? null : "hurts " + string.Join(", ", hurt) }.Where(p => !string.IsNullOrEmpty(p)).ToList();
        var text = parts.Count == 0 ? null : string.Join("; ", parts);
        return text is { Length: > 1000 } ? text[..997] + "..." : text;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Model {ModelId} version {Number} registered without an ONNX export")]
    private static partial void LogOnnxFailed(ILogger logger, Exception exception, Guid modelId, int number);

    [LoggerMessage(Level = LogLevel.Warning, Message = "No reference profile for model version {VersionId}")]
    private static partial void LogProfileFailed(ILogger logger, Exception exception, Guid versionId);
}
