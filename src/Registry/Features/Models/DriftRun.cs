using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace TransferHub.Registry.Features.Models;

/// <summary>One drift check of a model's latest window of predictions against its production version's reference.</summary>
public sealed class DriftRun
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid ModelId { get; set; }
    public Guid VersionId { get; set; }
    public DateTimeOffset At { get; set; }
    public required string Status { get; set; }
    public int WindowSize { get; set; }
    public int ReferenceSize { get; set; }
    /// <summary>The window judged: predictions logged from this time on.</summary>
    public DateTimeOffset? WindowStart { get; set; }
    public required string TestsJson { get; set; }
}

internal sealed class DriftRunConfiguration : IEntityTypeConfiguration<DriftRun>
{
    public void Configure(EntityTypeBuilder<DriftRun> builder)
    {
        builder.ToTable("DriftRuns");
        builder.Property(d => d.Status).HasMaxLength(32);
        builder.Property(d => d.TestsJson).HasMaxLength(16_000);
        builder.HasIndex(d => new { d.ModelId, d.At });
        builder.HasOne<RegisteredModel>().WithMany().HasForeignKey(d => d.ModelId).OnDelete(DeleteBehavior.Cascade);
    }
}
