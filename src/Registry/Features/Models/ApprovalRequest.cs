using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using TransferHub.Shared.Registry;

namespace TransferHub.Registry.Features.Models;

/// <summary>A request to move a version to production, with the evidence bundle its policy checks produced.</summary>
public sealed class ApprovalRequest
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid ModelId { get; set; }
    public Guid VersionId { get; set; }
    public ApprovalStatus Status { get; set; }
    public required string RequestedById { get; set; }
    public string? Comment { get; set; }
    public DateTimeOffset RequestedAt { get; set; }
    /// <summary>Production when the request was made: approving after it changed would approve a different change.</summary>
    public Guid? ProductionVersionIdAtRequest { get; set; }
    /// <summary>JSON array of <see cref="PolicyCheck"/>, as last evaluated.</summary>
    public string ChecksJson { get; set; } = "[]";
    public string? DecidedById { get; set; }
    public string? DecisionComment { get; set; }
    public DateTimeOffset? DecidedAt { get; set; }
}

internal sealed class ApprovalRequestConfiguration : IEntityTypeConfiguration<ApprovalRequest>
{
    public void Configure(EntityTypeBuilder<ApprovalRequest> builder)
    {
        builder.ToTable("ApprovalRequests");
        builder.Property(a => a.Status).HasConversion<string>().HasMaxLength(16);
        builder.Property(a => a.RequestedById).HasMaxLength(450);
        builder.Property(a => a.Comment).HasMaxLength(ModelLimits.MaxCommentLength);
        builder.Property(a => a.ChecksJson).HasMaxLength(8000);
        builder.Property(a => a.DecidedById).HasMaxLength(450);
        builder.Property(a => a.DecisionComment).HasMaxLength(ModelLimits.MaxCommentLength);
        builder.HasIndex(a => new { a.ModelId, a.Status });
        builder.HasOne<RegisteredModel>().WithMany().HasForeignKey(a => a.ModelId).OnDelete(DeleteBehavior.Cascade);
    }
}
