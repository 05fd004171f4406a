using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.EntityFrameworkCore;
using TransferHub.Shared.Identity;
using TransferHub.Shared.Projects;
using TransferHub.Web.Data;
using TransferHub.Registry.Features.Models;
using TransferHub.Web.Features.Projects;

namespace TransferHub.Web.Features.Registry;

/// <summary>Limits and who-may-do-what of the registry, in one place so the API and the pages agree.</summary>
public static class RegistryRules
{
    public const int MaxNameLength = ModelLimits.MaxNameLength;
    public const int MaxDescriptionLength = ModelLimits.MaxDescriptionLength;
    public const int MaxCommentLength = ModelLimits.MaxCommentLength;
    public const int MaxTags = 20;

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };

    /// <summary>Project Approvers and Owners decide on production; so do people with the global Approver role, and Admins.</summary>
    public static bool CanApprove(ProjectAccess access, System.Security.Claims.ClaimsPrincipal caller) =>
        access.IsAdmin || access.Role is ProjectRole.Owner or ProjectRole.Approver || caller.IsInRole(AppRoles.Approver);

    /// <summary>Members read a project's models; global Approvers read every model, since they decide on any project's production.</summary>
    public static bool CanReview(ProjectAccess access, System.Security.Claims.ClaimsPrincipal caller) => access.CanRead || caller.IsInRole(AppRoles.Approver);
}

/// <summary>The registry's tables, without widening the shared DbContext's surface.</summary>
internal static class RegistrySets
{
    public static DbSet<RegisteredModel> RegisteredModels(this AppDbContext db) => db.Set<RegisteredModel>();
    public static DbSet<ModelVersion> ModelVersions(this AppDbContext db) => db.Set<ModelVersion>();
    public static DbSet<ReferenceProfile> ReferenceProfiles(this AppDbContext db) => db.Set<ReferenceProfile>();
    public static DbSet<ApprovalRequest> ApprovalRequests(this AppDbContext db) => db.Set<ApprovalRequest>();
    public static DbSet<AuditEntry> AuditEntries(this AppDbContext db) => db.Set<AuditEntry>();
    public static DbSet<PredictionLog> PredictionLogs(this AppDbContext db) => db.Set<PredictionLog>();
    public static DbSet<DriftRun> DriftRuns(this AppDbContext db) => db.Set<DriftRun>();
}
