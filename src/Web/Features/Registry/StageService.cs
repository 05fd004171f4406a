using System.Security.Claims;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using TransferHub.Shared.Projects;
using TransferHub.Shared.Registry;
using TransferHub.Web.Data;
using TransferHub.Web.Features.Identity;
using TransferHub.Web.Features.Notifications;
using TransferHub.Web.Infrastructure;

namespace TransferHub.Web.Features.Registry;

/// <summary>
/// Stages of model versions. Staging, None and Archived are direct moves; Production only through an approval by
/// someone other than the requester, with its policy checks passing. Promotion archives the previous Production.
/// </summary>
public sealed class StageService(
    IDbContextFactory<AppDbContext> dbFactory, ModelAccess access, PolicyChecks policies, AuditLog audit, NotificationService notifications,
    ModelCache cache, TimeProvider clock)
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
        var (found, projectAccess) = await access.RequireAsync(caller, model, a => a.CanRead, ct);
        var comment = ValidComment(request.Comment);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var target = await RegistryService.FindVersionAsync(db, found.Id, version, ct);
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

    private async Task<ApprovalDto> RequestProductionAsync(AppDbContext db, ClaimsPrincipal caller, RegisteredModel model, ModelVersion version, string? comment, CancellationToken ct)
    {
        if (version.Stage == ModelStage.Production)
        {
            throw new ConflictException($"Version {version.Number} is already in production.");
        }
        if (await db.ApprovalRequests().AnyAsync(a => a.VersionId == version.Id && a.Status == ApprovalStatus.Pending, ct))
        {
            throw new ConflictException($"Version {version.Number} already waits for an approval.");
        }
        var checks = await policies.EvaluateAsync(caller, model, version, ct);
        var request = new ApprovalRequest
        {
            ModelId = model.Id, VersionId = version.Id, Status = ApprovalStatus.Pending, RequestedById = caller.UserId(), Comment = comment,
            RequestedAt = clock.GetUtcNow(), ProductionVersionIdAtRequest = model.ProductionVersionId, ChecksJson = JsonSerializer.Serialize(checks, RegistryRules.Json),
        };
        db.ApprovalRequests().Add(request);
        audit.Append(db, caller, model.Id, "production requested", version.Number,
            $"{checks.Count(c => c.Outcome == PolicyChecks.Failed)} of {checks.Count} checks failed{(comment is null ? "" : $": {comment}")}");
        await SaveAsync(db, ct);
        foreach (var approver in await ApproversAsync(db, model.ProjectId, request.RequestedById, ct))
        {
            await notifications.PostAsync(approver, $"{model.Name} v{version.Number}: production requested",
                $"{caller.Identity?.Name} asks to put version {version.Number} in production.", $"/models/{model.Id}", ct);
        }
        return await ApprovalDtoAsync(db, request.Id, ct);
    }

    public async Task<ApprovalDto> DecideAsync(ClaimsPrincipal caller, Guid approvalId, bool approve, DecisionRequest request, CancellationToken ct)
    {
        Guid modelId;
        await using (var lookup = await dbFactory.CreateDbContextAsync(ct))
        {
            modelId = await lookup.ApprovalRequests().Where(a => a.Id == approvalId).Select(a => (Guid?)a.ModelId).SingleOrDefaultAsync(ct)
                ?? throw new NotFoundException($"Approval request {approvalId} does not exist.");
        }
        using var _ = await LockAsync(modelId, ct);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var approval = await db.ApprovalRequests().SingleAsync(a => a.Id == approvalId, ct);
        var (model, projectAccess) = await access.RequireAsync(caller, approval.ModelId.ToString(), a => a.CanRead || caller.IsInRole(Shared.Identity.AppRoles.Approver), ct);
        if (!RegistryRules.CanApprove(projectAccess, caller))
        {
            throw new ForbiddenException("Only an Approver or Owner of the project, or a global Approver, decides on production.");
        }
        if (approval.RequestedById == caller.UserId())
        {
            throw new ForbiddenException("The requester cannot decide on their own request; another Approver must.");
        }
        if (approval.Status != ApprovalStatus.Pending)
        {
            throw new ConflictException($"This request was already {approval.Status.ToString().ToLowerInvariant()}.");
        }
        var version = await db.ModelVersions().SingleAsync(v => v.Id == approval.VersionId, ct);
        var modelRow = await db.RegisteredModels().SingleAsync(m => m.Id == model.Id, ct);
        var comment = ValidComment(request.Comment);
        approval.DecidedById = caller.UserId();
        approval.DecisionComment = comment;
        approval.DecidedAt = clock.GetUtcNow();
        Guid? retired = null;
        if (approve)
        {
            if (modelRow.ProductionVersionId != approval.ProductionVersionIdAtRequest)
            {
                throw new ConflictException("Production changed since this request was made; request again so the evidence is current.");
            }
            // The evidence is evaluated again at decision time: an alert opened since the request must block.
            var checks = await policies.EvaluateAsync(caller, model, version, ct);
            approval.ChecksJson = JsonSerializer.Serialize(checks, RegistryRules.Json);
            if (checks.Any(c => c.Outcome == PolicyChecks.Failed))
            {
                await db.Entry(approval).ReloadAsync(ct);
                approval.ChecksJson = JsonSerializer.Serialize(checks, RegistryRules.Json);
                await db.SaveChangesAsync(ct);
                throw new ConflictException($"Policy checks failed: {string.Join("; ", checks.Where(c => c.Outcome == PolicyChecks.Failed).Select(c => $"{c.Name} ({c.Detail})"))}");
            }
            approval.Status = ApprovalStatus.Approved;
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            retired = await PromoteAsync(db, caller, modelRow, version, $"approved{(comment is null ? "" : $": {comment}")}", approval.Id, ct);
            await SaveAsync(db, ct);
            await tx.CommitAsync(ct);
        }
        else
        {
            approval.Status = ApprovalStatus.Rejected;
            audit.Append(db, caller, model.Id, "production rejected", version.Number, comment ?? "No comment.");
        }
        await SaveAsync(db, ct);
        if (retired is { } old)
        {
            cache.Evict(old);
        }
        await notifications.PostAsync(approval.RequestedById, $"{model.Name} v{version.Number}: {(approve ? "approved for production" : "rejected")}",
            $"{caller.Identity?.Name}{(comment is null ? "" : $": {comment}")}", $"/models/{model.Id}", ct);
        return await ApprovalDtoAsync(db, approval.Id, ct);
    }

    /// <summary>Puts the latest former production version back in production; the current one is archived.</summary>
    public async Task<ModelVersionDto> RollbackAsync(ClaimsPrincipal caller, string model, DecisionRequest request, CancellationToken ct)
    {
        var (found, projectAccess) = await access.RequireAsync(caller, model, a => a.CanRead, ct);
        if (!RegistryRules.CanApprove(projectAccess, caller))
        {
            throw new ForbiddenException("Only an Approver or Owner rolls production back.");
        }
        using var _ = await LockAsync(found.Id, ct);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
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
        return await VersionDtoAsync(db, previous.Id, ct);
    }

    public async Task<IReadOnlyList<ApprovalDto>> ListApprovalsAsync(ClaimsPrincipal caller, string model, CancellationToken ct)
    {
        var (found, _) = await access.RequireAsync(caller, model, a => a.CanRead, ct);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var ids = await db.ApprovalRequests().Where(a => a.ModelId == found.Id).OrderByDescending(a => a.RequestedAt).Select(a => a.Id).ToListAsync(ct);
        var result = new List<ApprovalDto>();
        foreach (var id in ids)
        {
            result.Add(await ApprovalDtoAsync(db, id, ct));
        }
        return result;
    }

    /// <summary>Archives the current production version (if any), promotes <paramref name="version"/>; the caller saves.</summary>
    private async Task<Guid?> PromoteAsync(AppDbContext db, ClaimsPrincipal caller, RegisteredModel model, ModelVersion version, string why, Guid? approvalId, CancellationToken ct)
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

    private static async Task<List<string>> ApproversAsync(AppDbContext db, Guid projectId, string except, CancellationToken ct)
    {
        var members = await db.ProjectMembers.Where(m => m.ProjectId == projectId && (m.Role == ProjectRole.Approver || m.Role == ProjectRole.Owner))
            .Select(m => m.UserId).ToListAsync(ct);
        return [.. members.Where(m => m != except).Distinct()];
    }

    internal static async Task<ApprovalDto> ApprovalDtoAsync(AppDbContext db, Guid id, CancellationToken ct)
    {
        var a = await db.ApprovalRequests().AsNoTracking().SingleAsync(x => x.Id == id, ct);
        var model = await db.RegisteredModels().AsNoTracking().SingleAsync(m => m.Id == a.ModelId, ct);
        var number = await db.ModelVersions().Where(v => v.Id == a.VersionId).Select(v => v.Number).SingleAsync(ct);
        var before = a.ProductionVersionIdAtRequest is null ? null
            : await db.ModelVersions().Where(v => v.Id == a.ProductionVersionIdAtRequest).Select(v => (int?)v.Number).SingleOrDefaultAsync(ct);
        var people = new[] { a.RequestedById, a.DecidedById ?? "" };
        var emails = await db.Users.Where(u => people.Contains(u.Id)).ToDictionaryAsync(u => u.Id, u => u.Email ?? u.Id, ct);
        var checks = JsonSerializer.Deserialize<List<PolicyCheck>>(a.ChecksJson, RegistryRules.Json) ?? [];
        return new ApprovalDto(a.Id, a.ModelId, model.Name, a.VersionId, number, a.Status, emails.GetValueOrDefault(a.RequestedById, a.RequestedById), a.Comment,
            a.RequestedAt, before, checks, checks.All(c => c.Outcome != PolicyChecks.Failed),
            a.DecidedById is null ? null : emails.GetValueOrDefault(a.DecidedById, a.DecidedById), a.DecisionComment, a.DecidedAt);
    }

    private static async Task<ModelVersionDto> VersionDtoAsync(AppDbContext db, Guid versionId, CancellationToken ct)
    {
        var modelId = await db.ModelVersions().Where(v => v.Id == versionId).Select(v => v.ModelId).SingleAsync(ct);
        return (await RegistryService.VersionsAsync(db, modelId, ct)).Single(v => v.Id == versionId);
    }

    private static string? ValidComment(string? comment) =>
        string.IsNullOrWhiteSpace(comment) ? null
        : comment.Length > RegistryRules.MaxCommentLength ? throw ValidationFailedException.For("comment", $"At most {RegistryRules.MaxCommentLength} characters.")
        : comment.Trim();

    private static async Task SaveAsync(AppDbContext db, CancellationToken ct)
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
