using System.Security.Claims;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using TransferHub.Registry.Features.Access;
using TransferHub.Registry.Features.Artifacts;
using TransferHub.Registry.Features.Audit;
using TransferHub.Registry.Features.Drift;
using TransferHub.Registry.Features.Models;
using TransferHub.Registry.Features.Serving;
using TransferHub.Shared.Common;
using TransferHub.Shared.Experiments;
using TransferHub.Shared.Identity;
using TransferHub.Shared.Projects;
using TransferHub.Shared.Registry;
using TransferHub.Shared.Training;

namespace TransferHub.Registry.Features.Registration;

/// <summary>Registered models and their immutable versions: registration from finished runs, reading, settings, lineage.</summary>
public sealed partial class RegistryService(
    IRegistryDatabase database, IArtifactStore artifacts, IProjectMembership projects, ModelAccess access, IRunLineage lineage,
    ReferenceProfiler profiler, ModelCache cache, AuditLog audit, ITrainingEngine engine, IModelLoader loader, VersionViews views, TimeProvider clock,
    ILogger<RegistryService> logger)
{
    public async Task<ModelDto> CreateAsync(ClaimsPrincipal caller, Guid projectId, RegisterModelRequest request, CancellationToken ct)
    {
        await projects.RequireAsync(caller, projectId, a => a.CanEditData, ct);
        var name = ValidName(request.Name);
        var model = new RegisteredModel
        {
            ProjectId = projectId, Name = name, Description = ValidDescription(request.Description), TagsJson = JsonSerializer.Serialize(ValidTags(request.Tags)),
            MetricThreshold = ValidThreshold(request.MetricThreshold), KeepRawInputs = request.KeepRawInputs ?? false,
            DriftSettingsJson = JsonSerializer.Serialize(new DriftSettings(), RegistryRules.Json), CreatedById = caller.UserId(), CreatedAt = clock.GetUtcNow(),
        };
        await using (var db = await database.OpenAsync(ct))
        {
            if (await db.RegisteredModels().AnyAsync(m => m.ProjectId == projectId && m.Name == name, ct))
            {
                throw new ConflictException($"This project already has a model named '{name}'; register the run as a new version of it.");
            }
            var run = await lineage.FinishedRunAsync(caller, projectId, request.RunId, ct);
            db.RegisteredModels().Add(model);
            audit.Append(db, caller, model.Id, "created", null, $"Model '{name}' created.");
            await SaveAsync(db, ct);
            try
            {
                await AddVersionAsync(caller, model, run, ct);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // A model is never left without its first version: the name stays free for the next attempt.
                await db.RegisteredModels().Where(m => m.Id == model.Id).ExecuteDeleteAsync(CancellationToken.None);
                audit.Append(db, caller, model.Id, "creation failed", null, e is AppException ? e.Message : "The first version could not be registered.");
                await db.SaveChangesAsync(CancellationToken.None);
                throw;
            }
        }
        return await GetAsync(caller, model.Id.ToString(), ct);
    }

    public async Task<ModelVersionDto> RegisterVersionAsync(ClaimsPrincipal caller, string model, RegisterVersionRequest request, CancellationToken ct)
    {
        var (found, _) = await access.RequireAsync(caller, model, a => a.CanEditData, ct);
        await using var db = await database.OpenAsync(ct);
        var run = await lineage.FinishedRunAsync(caller, found.ProjectId, request.RunId, ct);
        var version = await AddVersionAsync(caller, found, run, ct);
        return (await views.ListAsync(db, found.Id, ct)).Single(v => v.Id == version.Id);
    }

    public async Task<IReadOnlyList<ModelSummaryDto>> ListAsync(ClaimsPrincipal caller, Guid? projectId, CancellationToken ct)
    {
        var visible = (await projects.VisibleProjectNamesAsync(caller, ct)).Where(p => projectId is null || p.Key == projectId).ToDictionary();
        if (projectId is { } only && !visible.ContainsKey(only))
        {
            await projects.RequireAsync(caller, only, a => a.CanRead, ct);
        }
        await using var db = await database.OpenAsync(ct);
        var ids = visible.Keys.ToList();
        var models = await db.RegisteredModels().AsNoTracking().Where(m => ids.Contains(m.ProjectId)).ToListAsync(ct);
        var modelIds = models.Select(m => m.Id).ToList();
        var versions = await db.ModelVersions().AsNoTracking().Where(v => modelIds.Contains(v.ModelId))
            .Select(v => new { v.ModelId, v.Number, v.Stage }).ToListAsync(ct);
        var drift = await db.DriftRuns().AsNoTracking().Where(d => modelIds.Contains(d.ModelId))
            .GroupBy(d => d.ModelId).Select(g => g.OrderByDescending(d => d.At).Select(d => new { d.ModelId, d.Status }).First()).ToListAsync(ct);
        return [.. models.OrderBy(m => visible[m.ProjectId]).ThenBy(m => m.Name).Select(m => new ModelSummaryDto(
            m.Id, m.ProjectId, visible[m.ProjectId], m.Name, Tags(m),
            versions.Where(v => v.ModelId == m.Id).Select(v => v.Number).DefaultIfEmpty().Max(),
            versions.Where(v => v.ModelId == m.Id && v.Stage == ModelStage.Production).Select(v => (int?)v.Number).FirstOrDefault(),
            drift.FirstOrDefault(d => d.ModelId == m.Id)?.Status, m.CreatedAt))];
    }

    public async Task<ModelDto> GetAsync(ClaimsPrincipal caller, string model, CancellationToken ct)
    {
        var (found, _) = await access.RequireAsync(caller, model, a => RegistryRules.CanReview(a, caller), ct);
        await using var db = await database.OpenAsync(ct);
        var versions = await views.ListAsync(db, found.Id, ct);
        var project = await projects.NameAsync(found.ProjectId, ct);
        return new ModelDto(found.Id, found.ProjectId, project, found.Name, found.Description, Tags(found), found.MetricThreshold, found.AgreementThreshold, found.KeepRawInputs,
            DriftService.SettingsOf(found), versions.FirstOrDefault(v => v.Stage == ModelStage.Production)?.Version, found.CreatedAt, versions);
    }

    public async Task<ModelVersionDto> GetVersionAsync(ClaimsPrincipal caller, string model, string version, CancellationToken ct)
    {
        var (found, _) = await access.RequireAsync(caller, model, a => RegistryRules.CanReview(a, caller), ct);
        await using var db = await database.OpenAsync(ct);
        var row = await VersionViews.FindAsync(db, found.Id, version, ct);
        return (await views.ListAsync(db, found.Id, ct)).Single(v => v.Id == row.Id);
    }

    public async Task<ModelDto> UpdateAsync(ClaimsPrincipal caller, string model, UpdateModelRequest request, CancellationToken ct)
    {
        var (found, _) = await access.RequireAsync(caller, model, a => a.CanEditData, ct);
        await using (var db = await database.OpenAsync(ct))
        {
            var row = await db.RegisteredModels().SingleAsync(m => m.Id == found.Id, ct);
            row.Description = ValidDescription(request.Description);
            row.TagsJson = JsonSerializer.Serialize(ValidTags(request.Tags));
            row.MetricThreshold = ValidThreshold(request.MetricThreshold);
            row.AgreementThreshold = ValidThreshold(request.AgreementThreshold);
            row.KeepRawInputs = request.KeepRawInputs ?? row.KeepRawInputs;
            if (request.Drift is { } drift)
            {
                row.DriftSettingsJson = JsonSerializer.Serialize(ValidDrift(drift), RegistryRules.Json);
            }
            audit.Append(db, caller, row.Id, "settings changed", null,
                $"Threshold {row.MetricThreshold?.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture) ?? "none"}, raw inputs {(row.KeepRawInputs ? "kept" : "not kept")}.");
            await db.SaveChangesAsync(ct);
        }
        return await GetAsync(caller, model, ct);
    }

    public async Task<IReadOnlyList<AuditEntryDto>> AuditAsync(ClaimsPrincipal caller, string model, CancellationToken ct)
    {
        var (found, _) = await access.RequireAsync(caller, model, a => RegistryRules.CanReview(a, caller), ct);
        return await audit.ListAsync(found.Id, ct);
    }

    /// <summary>The transfer chain behind a version: model versions, runs, dataset versions and weights, source to target.</summary>
    public async Task<LineageDto> LineageAsync(ClaimsPrincipal caller, string model, string version, CancellationToken ct)
    {
        var (found, _) = await access.RequireAsync(caller, model, a => RegistryRules.CanReview(a, caller), ct);
        await using var db = await database.OpenAsync(ct);
        var current = await VersionViews.FindAsync(db, found.Id, version, ct);
        var nodes = new Dictionary<string, LineageNode>();
        var edges = new List<LineageEdge>();
        // Follow sources upwards; a depth bound guards against a cycle that should never exist.
        for (var depth = 0; current is not null && depth < 50; depth++)
        {
            var modelName = await db.RegisteredModels().Where(m => m.Id == current.ModelId).Select(m => m.Name).SingleAsync(ct);
            var id = $"model-version:{current.Id}";
            nodes[id] = new LineageNode(id, "model-version", $"{modelName} v{current.Number}");
            var run = $"run:{current.RunId}";
            nodes[run] = new LineageNode(run, "run", $"{current.Arm} seed {current.Seed}");
            edges.Add(new LineageEdge(run, id, "registered as"));
            var data = $"dataset-version:{current.DatasetVersionId}";
            nodes[data] = new LineageNode(data, "dataset-version", $"data {current.DatasetVersionHash[..12]}");
            edges.Add(new LineageEdge(data, run, "trained on"));
            if (current.SourceModelVersionId is { } sourceVersion)
            {
                edges.Add(new LineageEdge($"model-version:{sourceVersion}", run, "transferred from"));
            }
            else if (current.SourceWeightsSha256 is { } weights)
            {
                // A source run that was never registered: the weights' hash is the lineage.
                var w = $"weights:{weights}";
                nodes[w] = new LineageNode(w, "weights", $"weights {weights[..12]}");
                edges.Add(new LineageEdge(w, run, "transferred from"));
            }
            var source = current.SourceModelVersionId;
            current = source is null ? null : await db.ModelVersions().AsNoTracking().SingleOrDefaultAsync(v => v.Id == source, ct);
        }
        return new LineageDto([.. nodes.Values], edges);
    }

    internal static IReadOnlyList<string> Tags(RegisteredModel m) => JsonSerializer.Deserialize<string[]>(m.TagsJson) ?? [];

    private static async Task SaveAsync(DbContext db, CancellationToken ct)
    {
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException)
        {
            throw new ConflictException("Someone registered the same name or version at the same moment; try again.");
        }
    }
}
