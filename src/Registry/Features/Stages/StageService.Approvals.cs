using System.Security.Claims;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using TransferHub.Registry.Features.Access;
using TransferHub.Registry.Features.Models;
using TransferHub.Shared.Common;
using TransferHub.Shared.Identity;
using TransferHub.Shared.Projects;
using TransferHub.Shared.Registry;
using TransferHub.Shared.Webhooks;

namespace TransferHub.Registry.Features.Stages;

/// <summary>Approval requests: evidence at request and at decision, a decider other than the requester.</summary>
public sealed partial class StageService
{
    private async Task<ApprovalDto> RequestProductionAsync(DbContext db, ClaimsPrincipal caller, RegisteredModel model, ModelVersion version, string? comment, CancellationToken ct)
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
            $"{checks.Count(c => c.Outcome == PolicyOutcome.Failed)} of {checks.Count} checks failed{(comment is null ? "" : $": {comment}")}");
        await SaveAsync(db, ct);
        await events.NotifyAsync(await ApproversAsync(model.ProjectId, request.RequestedById, ct), $"{model.Name} v{version.Number}: production requested",
            $"{caller.Identity?.Name} asks to put version {version.Number} in production.", $"/models/{model.Id}", ct);
        await events.PublishAsync(model.ProjectId, WebhookEvents.ApprovalRequested,
            $"{model.Name} v{version.Number}: {caller.Identity?.Name} asks to put it in production ({checks.Count(c => c.Outcome == PolicyOutcome.Failed)} of {checks.Count} checks failed).",
            $"/models/{model.Id}", new Dictionary<string, object?>(ModelEventData(model, version.Number, caller, comment)) { ["approvalId"] = request.Id }, ct);
        return await views.ApprovalAsync(db, request.Id, ct);
    }

    public async Task<ApprovalDto> DecideAsync(ClaimsPrincipal caller, Guid approvalId, bool approve, DecisionRequest request, CancellationToken ct)
    {
        Guid modelId;
        await using (var lookup = await database.OpenAsync(ct))
        {
            modelId = await lookup.ApprovalRequests().Where(a => a.Id == approvalId).Select(a => (Guid?)a.ModelId).SingleOrDefaultAsync(ct)
                ?? throw new NotFoundException($"Approval request {approvalId} does not exist.");
        }
        using var _ = await LockAsync(modelId, ct);
        await using var db = await database.OpenAsync(ct);
        var approval = await db.ApprovalRequests().SingleAsync(a => a.Id == approvalId, ct);
        var (model, projectAccess) = await access.RequireAsync(caller, approval.ModelId.ToString(), a => RegistryRules.CanReview(a, caller), ct);
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
            if (checks.Any(c => c.Outcome == PolicyOutcome.Failed))
            {
                await db.Entry(approval).ReloadAsync(ct);
                approval.ChecksJson = JsonSerializer.Serialize(checks, RegistryRules.Json);
                await db.SaveChangesAsync(ct);
                throw new ConflictException($"Policy checks failed: {string.Join("; ", checks.Where(c => c.Outcome == PolicyOutcome.Failed).Select(c => $"{c.Name} ({c.Detail})"))}");
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
        await events.PublishAsync(modelRow.ProjectId, WebhookEvents.ApprovalDecided,
            $"{modelRow.Name} v{version.Number}: {(approve ? "approved for production" : "rejected")} by {caller.Identity?.Name}.", $"/models/{modelRow.Id}",
            new Dictionary<string, object?>(ModelEventData(modelRow, version.Number, caller, comment)) { ["approvalId"] = approval.Id, ["approved"] = approve }, ct);
        if (approve)
        {
            await events.PublishAsync(modelRow.ProjectId, WebhookEvents.ModelPromoted,
                $"{modelRow.Name} v{version.Number} is in production.", $"/models/{modelRow.Id}", ModelEventData(modelRow, version.Number, caller, comment), ct);
        }
        await events.NotifyAsync([approval.RequestedById], $"{model.Name} v{version.Number}: {(approve ? "approved for production" : "rejected")}",
            $"{caller.Identity?.Name}{(comment is null ? "" : $": {comment}")}", $"/models/{model.Id}", ct);
        return await views.ApprovalAsync(db, approval.Id, ct);
    }

    /// <summary>The project's Approvers and Owners, and everyone with the global Approver role.</summary>
    private async Task<List<string>> ApproversAsync(Guid projectId, string except, CancellationToken ct)
    {
        var approvers = await members.MemberIdsAsync(projectId, ProjectRole.Approver, ct);
        var owners = await members.MemberIdsAsync(projectId, ProjectRole.Owner, ct);
        var global = await users.UserIdsInRoleAsync(AppRoles.Approver, ct);
        return [.. approvers.Concat(owners).Concat(global).Where(m => m != except).Distinct()];
    }
}
