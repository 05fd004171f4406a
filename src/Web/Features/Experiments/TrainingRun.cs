using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using TransferHub.Shared.Experiments;

namespace TransferHub.Web.Features.Experiments;

/// <summary>One job of the queue: an arm × seed × label fraction of an experiment.</summary>
public sealed class TrainingRun
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid ExperimentId { get; set; }
    public Guid ProjectId { get; set; }
    public required string Arm { get; set; }
    public int Seed { get; set; }
    public double LabelFraction { get; set; } = 1;
    public required string SpecJson { get; set; }
    public RunStatus Status { get; set; }
    /// <summary>Higher runs first.</summary>
    public int Priority { get; set; }
    /// <summary>Attempts started so far (1 after the first claim).</summary>
    public int Attempt { get; set; }
    public string? LeasedBy { get; set; }
    public DateTimeOffset? LeaseUntil { get; set; }
    public string? CheckpointKey { get; set; }
    /// <summary>The W3C traceparent of what queued the run: its worker continues that trace.</summary>
    public string? TraceParent { get; set; }
    public bool CancelRequested { get; set; }
    public string? Error { get; set; }
    public string? ResultJson { get; set; }

    /// <summary>The stored result, read the one way every feature reads it; null while the run has none.</summary>
    public static TransferHub.Shared.Training.TrainingResult? ReadResult(string? resultJson) =>
        resultJson is null ? null : System.Text.Json.JsonSerializer.Deserialize<TransferHub.Shared.Training.TrainingResult>(resultJson, WireJson.Options);
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? StartedAt { get; set; }
    public DateTimeOffset? CompletedAt { get; set; }
}

internal sealed class TrainingRunConfiguration : IEntityTypeConfiguration<TrainingRun>
{
    public void Configure(EntityTypeBuilder<TrainingRun> builder)
    {
        builder.Property(r => r.Arm).HasMaxLength(100);
        builder.Property(r => r.SpecJson).HasMaxLength(8000);
        builder.Property(r => r.Status).HasConversion<string>().HasMaxLength(16);
        builder.Property(r => r.LeasedBy).HasMaxLength(200);
        builder.Property(r => r.CheckpointKey).HasMaxLength(300);
        builder.Property(r => r.TraceParent).HasMaxLength(64);
        builder.Property(r => r.Error).HasMaxLength(4000);
        builder.HasIndex(r => new { r.Status, r.Priority, r.CreatedAt });
        builder.HasIndex(r => r.ExperimentId);
        // ProjectId is a copy for the per-project limit; the run belongs to its experiment (one cascade path).
        builder.HasOne<Experiment>().WithMany().HasForeignKey(r => r.ExperimentId).OnDelete(DeleteBehavior.Cascade);
    }
}
