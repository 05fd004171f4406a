using System.Security.Claims;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using TransferHub.Registry.Features.Artifacts;
using TransferHub.Shared.Experiments;
using TransferHub.Web.Data;

namespace TransferHub.Web.Features.Experiments;

/// <summary>The experiments' side of a registered version's lineage, as the registry asks for it.</summary>
public sealed class RunLineage(IDbContextFactory<AppDbContext> dbFactory, ExperimentService experiments, IArtifactStore artifacts) : IRunLineage
{
    public async Task<IReadOnlyDictionary<Guid, string>> ExperimentNamesAsync(IReadOnlyCollection<Guid> experimentIds, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.Experiments.Where(e => experimentIds.Contains(e.Id)).ToDictionaryAsync(e => e.Id, e => e.Name, ct);
    }

    public async Task<RunForRegistration> FinishedRunAsync(ClaimsPrincipal caller, Guid projectId, Guid runId, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var run = await db.TrainingRuns.AsNoTracking().SingleOrDefaultAsync(r => r.Id == runId && r.ProjectId == projectId && r.Status == RunStatus.Succeeded, ct)
            ?? throw ValidationFailedException.For("runId", "Only a finished (succeeded) run of this project can be registered.");
        var experiment = await db.Experiments.AsNoTracking().SingleAsync(e => e.Id == run.ExperimentId, ct);
        var dataHash = await db.DatasetVersions.Where(v => v.Id == experiment.DatasetVersionId).Select(v => v.ContentHash).SingleOrDefaultAsync(ct);
        var plan = JsonSerializer.Deserialize<RunPlan>(run.SpecJson, ExperimentService.Json)!;
        var armResult = (await experiments.GetAsync(caller, experiment.Id, ct)).Results.FirstOrDefault(r => r.Arm == run.Arm);
        string? sourceSha = null;
        if (plan.SourceRunId is { } sourceRun)
        {
            sourceSha = (await artifacts.GetInfoAsync(RunArtifacts.ModelKey(sourceRun), ct))?.Sha256;
        }
        else if (plan.SourceWeightsId is { } imported)
        {
            // Imported pretrained weights are identified by their hash: the start of the lineage.
            sourceSha = await db.PretrainedWeights.Where(w => w.Id == imported).Select(w => w.Sha256).SingleOrDefaultAsync(ct);
        }
        return new RunForRegistration(run.Id, experiment.Id, experiment.Name, run.Arm, run.Seed, experiment.Architecture, experiment.DatasetVersionId, dataHash,
            plan, TrainingRun.ReadResult(run.ResultJson)?.Test, armResult, RunArtifacts.ModelKey(run.Id), sourceSha);
    }
}
