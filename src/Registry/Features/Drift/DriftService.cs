using System.Security.Claims;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using TransferHub.Registry.Features.Access;
using TransferHub.Registry.Features.Audit;
using TransferHub.Registry.Features.Events;
using TransferHub.Registry.Features.Models;
using TransferHub.Shared.Common;
using TransferHub.Shared.Projects;
using TransferHub.Shared.Registry;
using TransferHub.Shared.Telemetry;
using TransferHub.Shared.Webhooks;

namespace TransferHub.Registry.Features.Drift;

/// <summary>
/// Compares the latest window of a model's logged production traffic with its production version's reference
/// profile, stores the report, and tells the project's owners when the model starts drifting.
/// </summary>
public sealed partial class DriftService(
    IRegistryDatabase database, ModelAccess access, IProjectMembership members, AuditLog audit, IRegistryEvents events,
    TimeProvider clock, AppMetrics metrics, ILogger<DriftService> logger)
{
    /// <summary>Embeddings decoded per window: the MMD subsamples to fewer anyway.</summary>
    private const int MaxEmbeddings = 300;

    public async Task<DriftReportDto> RunAsync(ClaimsPrincipal caller, string model, CancellationToken ct)
    {
        var (found, _) = await access.RequireAsync(caller, model, a => a.CanRead, ct);
        return await RunAsync(found.Id, ct) ?? throw new NotFoundException("This model has no production version to monitor.");
    }

    public async Task<DriftOverviewDto> OverviewAsync(ClaimsPrincipal caller, string model, CancellationToken ct)
    {
        var (found, _) = await access.RequireAsync(caller, model, a => RegistryRules.CanReview(a, caller), ct);
        await using var db = await database.OpenAsync(ct);
        var runs = await db.DriftRuns().AsNoTracking().Where(d => d.ModelId == found.Id).OrderByDescending(d => d.At).Take(60).ToListAsync(ct);
        var numbers = await db.ModelVersions().Where(v => v.ModelId == found.Id).ToDictionaryAsync(v => v.Id, v => v.Number, ct);
        var history = runs.OrderBy(r => r.At).Select(r => ToDto(r, numbers.GetValueOrDefault(r.VersionId))).ToList();
        var logged = await db.PredictionLogs().CountAsync(p => p.ModelId == found.Id, ct);
        return new DriftOverviewDto(history.LastOrDefault()?.Status ?? "not checked", history.LastOrDefault(), history, logged);
    }

    /// <summary>One drift check of a model; null when it has no production version.</summary>
    public async Task<DriftReportDto?> RunAsync(Guid modelId, CancellationToken ct)
    {
        using var activity = AppMetrics.Activities.StartActivity("drift.check");
        activity?.SetTag("transferhub.model.id", modelId);
        var started = clock.GetTimestamp();
        var report = await RunCoreAsync(modelId, ct);
        metrics.DriftChecked(clock.GetElapsedTime(started));
        return report;
    }

    private async Task<DriftReportDto?> RunCoreAsync(Guid modelId, CancellationToken ct)
    {
        await using var db = await database.OpenAsync(ct);
        var model = await db.RegisteredModels().AsNoTracking().SingleAsync(m => m.Id == modelId, ct);
        var version = await db.ModelVersions().AsNoTracking().SingleOrDefaultAsync(v => v.ModelId == modelId && v.Stage == ModelStage.Production, ct);
        if (version is null)
        {
            return null;
        }
        var settings = SettingsOf(model);
        var profile = await db.ReferenceProfiles().AsNoTracking().SingleOrDefaultAsync(p => p.VersionId == version.Id, ct);
        var window = await db.PredictionLogs().AsNoTracking().Where(p => p.VersionId == version.Id)
            .OrderByDescending(p => p.At).ThenByDescending(p => p.Id).Take(settings.Window)
            .Select(p => new { p.At, p.PredictedIndex, p.Confidence, p.InputStat, p.Embedding }).ToListAsync(ct);
        var previous = await db.DriftRuns().Where(d => d.ModelId == modelId).OrderByDescending(d => d.At).Select(d => d.Status).FirstOrDefaultAsync(ct);

        string status;
        IReadOnlyList<DriftTestDto> tests;
        var referenceSize = 0;
        if (profile is null)
        {
            status = DriftStatus.NotEnoughData;
            tests = [new DriftTestDto("all", "-", null, null, status, "This version has no reference profile to compare with.")];
        }
        else
        {
            var reference = JsonSerializer.Deserialize<ReferenceData>(profile.Json)!;
            referenceSize = reference.Confidences.Length;
            var counts = new int[reference.ClassCounts.Length];
            foreach (var p in window.Where(p => p.PredictedIndex < counts.Length))
            {
                counts[p.PredictedIndex]++;
            }
            var current = new PredictionSample(counts, [.. window.Select(p => p.Confidence)], [.. window.Select(p => p.InputStat)],
                [.. window.Where(p => p.Embedding != null).Take(MaxEmbeddings).Select(p => InputStats.DecodeEmbedding(p.Embedding!))]);
            var referenceSample = new PredictionSample(reference.ClassCounts, reference.Confidences, reference.InputStats, reference.Embeddings);
            var feature = JsonSerializer.Deserialize<InputSpec>(version.InputJson, RegistryRules.Json)!.Kind == "text" ? "text length" : "image brightness";
            (status, tests) = await Task.Run(() => DriftEvaluator.Evaluate(referenceSample, current, settings, feature), ct);
        }
        var run = new DriftRun
        {
            ModelId = modelId, VersionId = version.Id, At = clock.GetUtcNow(), Status = status, WindowSize = window.Count, ReferenceSize = referenceSize,
            WindowStart = window.Count == 0 ? null : window.Min(p => p.At), TestsJson = JsonSerializer.Serialize(tests, RegistryRules.Json),
        };
        db.DriftRuns().Add(run);
        var alert = status == DriftStatus.Drift && previous != DriftStatus.Drift;
        if (alert)
        {
            audit.AppendSystem(db, modelId, "drift detected", version.Number, string.Join("; ", tests.Where(t => t.Status == DriftStatus.Drift).Select(t => $"{t.Name} on {t.Feature}")));
        }
        await db.SaveChangesAsync(ct);
        if (alert)
        {
            LogDrift(logger, model.Name, version.Number);
            var owners = await members.MemberIdsAsync(model.ProjectId, ProjectRole.Owner, ct);
            await events.NotifyAsync(owners, $"{model.Name}: drift detected",
                $"Version {version.Number}: {string.Join(", ", tests.Where(t => t.Status == DriftStatus.Drift).Select(t => $"{t.Name} on {t.Feature}"))}. Send the inputs to labeling from the model page.",
                $"/models/{model.Id}", ct);
        }
        if (status is DriftStatus.Warning or DriftStatus.Drift && status != previous)
        {
            // A warning or drift newly seen: integrations hear each change of level once, as people do of drift.
            await events.PublishAsync(model.ProjectId, WebhookEvents.Drift,
                $"{model.Name} v{version.Number}: {status} ({string.Join(", ", tests.Where(t => t.Status is DriftStatus.Warning or DriftStatus.Drift).Select(t => $"{t.Name} on {t.Feature}"))}).",
                $"/models/{model.Id}", new Dictionary<string, object?>
                {
                    ["modelId"] = model.Id, ["model"] = model.Name, ["version"] = version.Number, ["status"] = status, ["window"] = window.Count,
                    ["tests"] = tests.Select(t => new { t.Name, t.Feature, t.Status, t.PValue }).ToList(),
                }, ct);
        }
        return ToDto(run, version.Number);
    }

    /// <summary>A model's drift settings (its own, or the defaults).</summary>
    public static DriftSettings SettingsOf(RegisteredModel m) => JsonSerializer.Deserialize<DriftSettings>(m.DriftSettingsJson, RegistryRules.Json) ?? new DriftSettings();

    private static DriftReportDto ToDto(DriftRun r, int version) =>
        new(r.Id, r.ModelId, version, r.At, r.Status, r.WindowSize, r.ReferenceSize, JsonSerializer.Deserialize<List<DriftTestDto>>(r.TestsJson, RegistryRules.Json) ?? []);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Drift detected on model {Model} v{Version}")]
    private static partial void LogDrift(ILogger logger, string model, int version);
}
