using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace TransferHub.Web.Features.Experiments;

/// <summary>A source's LogME and LEEP on a dataset version, kept from the last ranking so the project's track record can
/// compare the ranking with what the experiments found afterwards.</summary>
public sealed class TransferabilityScore
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid ProjectId { get; set; }
    public Guid VersionId { get; set; }
    /// <summary>A finished run or imported weights.</summary>
    public Guid SourceId { get; set; }
    public double? LogMe { get; set; }
    public double? Leep { get; set; }
    public DateTimeOffset ComputedAt { get; set; }
}

internal sealed class TransferabilityScoreConfiguration : IEntityTypeConfiguration<TransferabilityScore>
{
    public void Configure(EntityTypeBuilder<TransferabilityScore> builder)
    {
        builder.HasIndex(s => new { s.ProjectId, s.VersionId, s.SourceId }).IsUnique();
        builder.HasOne<Projects.Project>().WithMany().HasForeignKey(s => s.ProjectId).OnDelete(DeleteBehavior.Cascade);
    }
}
