using Microsoft.EntityFrameworkCore;

namespace TransferHub.Registry.Features.Models;

/// <summary>
/// The registry's tables on whichever context applies this module's configurations (the host's one DbContext), without
/// widening that context's surface or making this module depend on it.
/// </summary>
public static class RegistrySets
{
    public static DbSet<RegisteredModel> RegisteredModels(this DbContext db) => db.Set<RegisteredModel>();
    public static DbSet<ModelVersion> ModelVersions(this DbContext db) => db.Set<ModelVersion>();
    public static DbSet<ReferenceProfile> ReferenceProfiles(this DbContext db) => db.Set<ReferenceProfile>();
    public static DbSet<ApprovalRequest> ApprovalRequests(this DbContext db) => db.Set<ApprovalRequest>();
    public static DbSet<AuditEntry> AuditEntries(this DbContext db) => db.Set<AuditEntry>();
    public static DbSet<PredictionLog> PredictionLogs(this DbContext db) => db.Set<PredictionLog>();
    public static DbSet<DriftRun> DriftRuns(this DbContext db) => db.Set<DriftRun>();
}
