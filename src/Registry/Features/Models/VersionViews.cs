using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using TransferHub.Registry.Features.Access;
using TransferHub.Shared.Common;
using TransferHub.Shared.Experiments;
using TransferHub.Shared.Identity;
using TransferHub.Shared.Registry;
using TransferHub.Shared.Training;

namespace TransferHub.Registry.Features.Models;

/// <summary>
/// A model's versions as the API and pages show them: who registered each (an e-mail, from identity) and the experiment
/// it came from (a name, from the experiments); a version reference ("3", "latest", "production") resolved to its row.
/// </summary>
public sealed class VersionViews(IUserDirectory users, IRunLineage lineage)
{
    /// <summary>The row a version reference names; NotFound when there is none.</summary>
    public static async Task<ModelVersion> FindAsync(DbContext db, Guid modelId, string version, CancellationToken ct)
    {
        var query = db.ModelVersions().AsNoTracking().Where(v => v.ModelId == modelId);
        var row = version.ToLowerInvariant() switch
        {
            "production" => await query.SingleOrDefaultAsync(v => v.Stage == ModelStage.Production, ct)
                ?? throw new NotFoundException("This model has no production version."),
            "latest" => await query.OrderByDescending(v => v.Number).FirstOrDefaultAsync(ct),
            _ when int.TryParse(version, out var number) => await query.SingleOrDefaultAsync(v => v.Number == number, ct),
            _ => null,
        };
        return row ?? throw new NotFoundException($"Version '{version}' of this model does not exist.");
    }

    /// <summary>Every version of a model, newest first.</summary>
    public async Task<List<ModelVersionDto>> ListAsync(DbContext db, Guid modelId, CancellationToken ct)
    {
        var rows = await db.ModelVersions().AsNoTracking().Where(v => v.ModelId == modelId).OrderByDescending(v => v.Number).ToListAsync(ct);
        var ids = rows.Select(v => v.Id).ToList();
        var profiled = await db.ReferenceProfiles().Where(p => ids.Contains(p.VersionId)).Select(p => p.VersionId).ToListAsync(ct);
        var emails = await users.EmailsAsync([.. rows.Select(r => r.RegisteredById).Distinct()], ct);
        var names = await lineage.ExperimentNamesAsync([.. rows.Select(r => r.ExperimentId).Distinct()], ct);
        return [.. rows.Select(v => ToDto(v, profiled.Contains(v.Id), emails.GetValueOrDefault(v.RegisteredById, v.RegisteredById), names.GetValueOrDefault(v.ExperimentId, "")))];
    }

    /// <summary>One version of the model it belongs to.</summary>
    public async Task<ModelVersionDto> OneAsync(DbContext db, Guid versionId, CancellationToken ct)
    {
        var modelId = await db.ModelVersions().Where(v => v.Id == versionId).Select(v => v.ModelId).SingleAsync(ct);
        return (await ListAsync(db, modelId, ct)).Single(v => v.Id == versionId);
    }

    /// <summary>An approval request with its people's e-mails and its version numbers.</summary>
    public async Task<ApprovalDto> ApprovalAsync(DbContext db, Guid id, CancellationToken ct)
    {
        var a = await db.ApprovalRequests().AsNoTracking().SingleAsync(x => x.Id == id, ct);
        var model = await db.RegisteredModels().AsNoTracking().SingleAsync(m => m.Id == a.ModelId, ct);
        var number = await db.ModelVersions().Where(v => v.Id == a.VersionId).Select(v => v.Number).SingleAsync(ct);
        var before = a.ProductionVersionIdAtRequest is null ? null
            : await db.ModelVersions().Where(v => v.Id == a.ProductionVersionIdAtRequest).Select(v => (int?)v.Number).SingleOrDefaultAsync(ct);
        var emails = await users.EmailsAsync(a.DecidedById is null ? [a.RequestedById] : [a.RequestedById, a.DecidedById], ct);
        var checks = JsonSerializer.Deserialize<List<PolicyCheck>>(a.ChecksJson, RegistryRules.Json) ?? [];
        return new ApprovalDto(a.Id, a.ModelId, model.Name, a.VersionId, number, a.Status, emails.GetValueOrDefault(a.RequestedById, a.RequestedById), a.Comment,
            a.RequestedAt, before, checks, checks.All(c => c.Outcome != PolicyOutcome.Failed),
            a.DecidedById is null ? null : emails.GetValueOrDefault(a.DecidedById, a.DecidedById), a.DecisionComment, a.DecidedAt);
    }

    /// <summary>A version row as the API shows it.</summary>
    public static ModelVersionDto ToDto(ModelVersion v, bool profiled, string registeredBy, string experiment) => new(
        v.Id, v.ModelId, v.Number, v.Stage, v.ArtifactKey, v.Sha256, v.SizeBytes, v.Architecture,
        JsonSerializer.Deserialize<string[]>(v.LabelsJson) ?? [], JsonSerializer.Deserialize<InputSpec>(v.InputJson, RegistryRules.Json)!,
        JsonSerializer.Deserialize<TrainingJobSpec>(v.HyperparametersJson, RegistryRules.Json)!,
        v.TestMetricsJson is null ? null : JsonSerializer.Deserialize<ClassificationMetrics>(v.TestMetricsJson, RegistryRules.Json),
        v.ExperimentId, experiment, v.RunId, v.Arm, v.Seed, v.Verdict, v.DatasetVersionId, v.DatasetVersionHash, v.SourceModelVersionId, v.SourceRunId,
        v.SourceWeightsSha256, profiled, registeredBy, v.RegisteredAt, v.VerdictReason, v.OnnxSha256, v.OnnxCheck);
}
