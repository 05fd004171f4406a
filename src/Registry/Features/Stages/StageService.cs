using System.Security.Claims;
using Microsoft.EntityFrameworkCore;
using TransferHub.Registry.Features.Access;
using TransferHub.Registry.Features.Audit;
using TransferHub.Registry.Features.Events;
using TransferHub.Registry.Features.Models;
using TransferHub.Registry.Features.Serving;
using TransferHub.Shared.Common;
using TransferHub.Shared.Identity;
using TransferHub.Shared.Projects;
using TransferHub.Shared.Registry;
using TransferHub.Shared.Webhooks;

namespace TransferHub.Registry.Features.Stages;

/// <summary>
/// Stages of model versions. Staging, None and Archived are direct moves; Production only through an approval by
/// someone other than the requester, with its policy checks passing. Promotion archives the previous Production.
/// </summary>
public sealed partial class StageService(
    IRegistryDatabase database, ModelAccess access, PolicyChecks policies, AuditLog audit, IRegistryEvents events, ModelCache cache,
    VersionViews views, IProjectMembership members, IUserDirectory users, TimeProvider clock)
{
    // Promotions of one model queue here on this node, so the loser re-reads the winner's state and gets a clear 409;
    // across nodes the concurrency stamp and the one-Production index decide.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<Guid, SemaphoreSlim> _promotions = new();

    private async Task<IDisposable> LockAsync(Guid modelId, CancellationToken ct)
    {
        var gate = _promotions.GetOrAdd(modelId, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(ct);
        return new Releaser(gate);
    }

    private sealed class Releaser(SemaphoreSlim gate) : IDisposable
    {
        private SemaphoreSlim? _gate = gate;
        public void Dispose() => Interlocked.Exchange(ref _gate, null)?.Release();
    }

    public async Task<TransitionResultDto> TransitionAsync(ClaimsPrincipal caller, string model, string version, TransitionRequest request, CancellationToken ct)
    {
        var (found, projectAccess) = await access.RequireAsync(caller, model, a => RegistryRules.CanReview(a, caller), ct);
        var comment = ValidComment(request.Comment);
        await using var db = await database.OpenAsync(ct);
        var target = await VersionViews.FindAsync(db, found.Id, version, ct);
        if (!Enum.IsDefined(request.Stage))
        {
            throw ValidationFailedException.For("stage", "Stages: None, Staging, Production, Archived.");
        }
        var leavesProduction = target.Stage == ModelStage.Production && request.Stage != ModelStage.Production;
        // Taking a version out of production stops serving: the people who may put one in decide that; other moves are the scientists'.
        if (leavesProduction ? !RegistryRules.CanApprove(projectAccess, caller) : !projectAccess.CanEditData)
        {
            throw new ForbiddenException(leavesProduction ? "Only an Approver or Owner takes a version out of production." : "Your role in this project does not allow this.");
        }
        if (request.Stage == ModelStage.Production)
        {
            var approval = await RequestProductionAsync(db, caller, found, target, comment, ct);
            return new TransitionResultDto(await VersionDtoAsync(db, target.Id, ct), approval);
        }
        if (target.Stage == request.Stage)
        {
            return new TransitionResultDto(await VersionDtoAsync(db, target.Id, ct), null);
        }
        var row = await db.ModelVersions().SingleAsync(v => v.Id == target.Id, ct);
        var wasProduction = row.Stage == ModelStage.Production;
        var from = row.Stage;
        row.Stage = request.Stage;
        var modelRow = await db.RegisteredModels().SingleAsync(m => m.Id == found.Id, ct);
        if (wasProduction)
        {
            modelRow.ProductionVersionId = null;
            modelRow.ConcurrencyStamp = Guid.NewGuid();
        }
        audit.Append(db, caller, found.Id, "stage changed", row.Number, $"{from} → {request.Stage}{(comment is null ? "" : $": {comment}")}");
        await SaveAsync(db, ct);
        if (wasProduction)
        {
            cache.Evict(row.Id);
        }
        return new TransitionResultDto(await VersionDtoAsync(db, target.Id, ct), null);
    }

    /// <summary>Puts the latest former production version back in production; the current one is archived.</summary>
    public async Task<ModelVersionDto> RollbackAsync(ClaimsPrincipal caller, string model, DecisionRequest request, CancellationToken ct)
    {
        var (found, projectAccess) = await access.RequireAsync(caller, model, a => RegistryRules.CanReview(a, caller), ct);
        if (!RegistryRules.CanApprove(projectAccess, caller))
        {
            throw new ForbiddenException("Only an Approver or Owner rolls production back.");
        }
        using var _ = await LockAsync(found.Id, ct);
        await using var db = await database.OpenAsync(ct);
        var modelRow = await db.RegisteredModels().SingleAsync(m => m.Id == found.Id, ct);
        var previous = await db.ModelVersions().Where(v => v.ModelId == found.Id && v.Stage == ModelStage.Archived && v.PromotedAt != null)
            .OrderByDescending(v => v.PromotedAt).FirstOrDefaultAsync(ct)
            ?? throw new ConflictException("No former production version to roll back to.");
        await using (var tx = await db.Database.BeginTransactionAsync(ct))
        {
            var retired = await PromoteAsync(db, caller, modelRow, previous, $"rollback{(ValidComment(request.Comment) is { } c ? $": {c}" : "")}", null, ct);
            await SaveAsync(db, ct);
            await tx.CommitAsync(ct);
            if (retired is { } old)
            {
                cache.Evict(old);
            }
        }
        await events.PublishAsync(modelRow.ProjectId, WebhookEvents.ModelRolledBack,
            $"{modelRow.Name}: production rolled back to v{previous.Number} by {caller.Identity?.Name}.", $"/models/{modelRow.Id}",
            ModelEventData(modelRow, previous.Number, caller, request.Comment), ct);
        return await VersionDtoAsync(db, previous.Id, ct);
    }

    public async Task<IReadOnlyList<ApprovalDto>> ListApprovalsAsync(ClaimsPrincipal caller, string model, CancellationToken ct)
    {
        var (found, _) = await access.RequireAsync(caller, model, a => RegistryRules.CanReview(a, caller), ct);
        await using var db = await database.OpenAsync(ct);
        var ids = await db.ApprovalRequests().Where(a => a.ModelId == found.Id).OrderByDescending(a => a.RequestedAt).Select(a => a.Id).ToListAsync(ct);
        var result = new List<ApprovalDto>();
        foreach (var id in ids)
        {
            result.Add(await views.ApprovalAsync(db, id, ct));
        }
        return result;
    }

    /// <summary>Archives the current production version (if any), promotes <paramref name="version"/>; the caller saves.</summary>
    private async Task<Guid?> PromoteAsync(DbContext db, ClaimsPrincipal caller, RegisteredModel model, ModelVersion version, string why, Guid? approvalId, CancellationToken ct)
    {
        var current = await db.ModelVersions().SingleOrDefaultAsync(v => v.ModelId == model.Id && v.Stage == ModelStage.Production, ct);
        if (current is not null)
        {
            current.Stage = ModelStage.Archived;
            audit.Append(db, caller, model.Id, "stage changed", current.Number, $"Production → Archived (replaced by v{version.Number})");
            // Two rows must not be Production at once, even inside one save: archive first.
            await SaveAsync(db, ct);
        }
        version.Stage = ModelStage.Production;
        version.PromotedAt = clock.GetUtcNow();
        model.ProductionVersionId = version.Id;
        model.ConcurrencyStamp = Guid.NewGuid();
        audit.Append(db, caller, model.Id, "promoted", version.Number, $"→ Production ({why})");
        // Pending requests were made against the old production: approving one now would approve a different change.
        await db.ApprovalRequests().Where(a => a.ModelId == model.Id && a.Status == ApprovalStatus.Pending && a.Id != approvalId)
            .ExecuteUpdateAsync(s => s.SetProperty(a => a.Status, ApprovalStatus.Withdrawn), ct);
        return current?.Id;
    }

    private Task<ModelVersionDto> VersionDtoAsync(DbContext db, Guid versionId, CancellationToken ct) => views.OneAsync(db, versionId, ct);

    private static Dictionary<string, object?> ModelEventData(RegisteredModel model, int version, ClaimsPrincipal caller, string? comment) => new()
    {
        ["modelId"] = model.Id, ["model"] = model.Name, ["version"] = version, ["by"] = caller.Identity?.Name, ["comment"] = ValidComment(comment),
    };

    private static string? ValidComment(string? comment) =>
        string.IsNullOrWhiteSpace(comment) ? null
        : comment.Length > RegistryRules.MaxCommentLength ? throw ValidationFailedException.For("comment", $"At most {RegistryRules.MaxCommentLength} characters.")
        : comment.Trim();

    private static async Task SaveAsync(DbContext db, CancellationToken ct)
    {
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (Exception e) when (e is DbUpdateException or System.Data.Common.DbException)
        {
            // The concurrency stamp or the one-Production index stopped a second promotion racing this one.
            throw new ConflictException("Another promotion of this model won the race; reload and try again.");
        }
    }
}
