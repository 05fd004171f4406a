using Microsoft.AspNetCore.DataProtection.EntityFrameworkCore;
using Microsoft.AspNetCore.Identity.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;
using TransferHub.Web.Features.Datasets;
using TransferHub.Web.Features.Experiments;
using TransferHub.Web.Features.Identity;
using TransferHub.Web.Features.Labeling;
using TransferHub.Web.Features.Notifications;
using TransferHub.Web.Features.Projects;
using TransferHub.Web.Features.Tokens;
using TransferHub.Web.Features.Versions;

namespace TransferHub.Web.Data;

/// <summary>
/// The application's one database. Each provider has its own subclass and its own migrations:
/// <code>
/// dotnet ef migrations add NAME --project src/Web --context SqliteAppDbContext --output-dir Data/Migrations/Sqlite
/// dotnet ef migrations add NAME --project src/Web --context SqlServerAppDbContext --output-dir Data/Migrations/SqlServer
/// dotnet ef migrations add NAME --project src/Web --context PostgresAppDbContext --output-dir Data/Migrations/Postgres
/// </code>
/// </summary>
public abstract class AppDbContext(DbContextOptions options) : IdentityDbContext<AppUser>(options), IDataProtectionKeyContext
{
    public DbSet<Project> Projects => Set<Project>();
    public DbSet<ProjectMember> ProjectMembers => Set<ProjectMember>();
    public DbSet<ApiToken> ApiTokens => Set<ApiToken>();
    public DbSet<Notification> Notifications => Set<Notification>();
    public DbSet<DataProtectionKey> DataProtectionKeys => Set<DataProtectionKey>();
    public DbSet<Dataset> Datasets => Set<Dataset>();
    public DbSet<LabelClass> LabelClasses => Set<LabelClass>();
    public DbSet<Item> Items => Set<Item>();
    public DbSet<Annotation> Annotations => Set<Annotation>();
    public DbSet<LabelChange> LabelChanges => Set<LabelChange>();
    public DbSet<ImportJob> ImportJobs => Set<ImportJob>();
    public DbSet<DatasetVersion> DatasetVersions => Set<DatasetVersion>();
    public DbSet<VersionItem> VersionItems => Set<VersionItem>();
    public DbSet<TrainingRun> TrainingRuns => Set<TrainingRun>();
    public DbSet<Experiment> Experiments => Set<Experiment>();
    public DbSet<RunMetric> RunMetrics => Set<RunMetric>();
    public DbSet<Features.Workers.WorkerRecord> Workers => Set<Features.Workers.WorkerRecord>();
    public DbSet<Features.Weights.PretrainedWeights> PretrainedWeights => Set<Features.Weights.PretrainedWeights>();
    public DbSet<ItemScore> ItemScores => Set<ItemScore>();
    public DbSet<RunStepBatch> RunSteps => Set<RunStepBatch>();
    public DbSet<TransferabilityScore> TransferabilityScores => Set<TransferabilityScore>();

    protected override void OnModelCreating(ModelBuilder builder)
    {
        base.OnModelCreating(builder);
        builder.ApplyConfigurationsFromAssembly(typeof(AppDbContext).Assembly);
        // The registry's entities are configured by their module; the link to projects, which it does not know, is made here.
        builder.ApplyConfigurationsFromAssembly(typeof(Registry.Features.Models.RegisteredModel).Assembly);
        builder.Entity<Registry.Features.Models.RegisteredModel>().HasOne<Features.Projects.Project>().WithMany()
            .HasForeignKey(m => m.ProjectId).OnDelete(DeleteBehavior.Cascade);
    }
}

public sealed class SqliteAppDbContext(DbContextOptions<SqliteAppDbContext> options) : AppDbContext(options)
{
    protected override void ConfigureConventions(ModelConfigurationBuilder builder)
    {
        // SQLite cannot order or compare DateTimeOffset; store it as a sortable 64-bit number.
        builder.Properties<DateTimeOffset>().HaveConversion<Microsoft.EntityFrameworkCore.Storage.ValueConversion.DateTimeOffsetToBinaryConverter>();
        builder.Properties<DateTimeOffset?>().HaveConversion<Microsoft.EntityFrameworkCore.Storage.ValueConversion.DateTimeOffsetToBinaryConverter>();
    }
}

public sealed class SqlServerAppDbContext(DbContextOptions<SqlServerAppDbContext> options) : AppDbContext(options);

public sealed class PostgresAppDbContext(DbContextOptions<PostgresAppDbContext> options) : AppDbContext(options)
{
    protected override void ConfigureConventions(ModelConfigurationBuilder builder)
    {
        // timestamptz stores an instant and Npgsql refuses a non-zero offset: a caller's "+02:00" becomes UTC, not an error.
        builder.Properties<DateTimeOffset>().HaveConversion<UtcDateTimeOffsetConverter>();
        builder.Properties<DateTimeOffset?>().HaveConversion<UtcDateTimeOffsetConverter>();
    }

    private sealed class UtcDateTimeOffsetConverter() : Microsoft.EntityFrameworkCore.Storage.ValueConversion.ValueConverter<DateTimeOffset, DateTimeOffset>(
        v => v.ToUniversalTime(), v => v);
}
