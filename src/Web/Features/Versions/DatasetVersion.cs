using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using TransferHub.Shared.Datasets;
using TransferHub.Web.Features.Datasets;

namespace TransferHub.Web.Features.Versions;

/// <summary>An immutable snapshot: which items, with which labels, in which split. Nothing edits it after creation.</summary>
public sealed class DatasetVersion
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid DatasetId { get; set; }
    public int Number { get; set; }
    public string? Note { get; set; }
    public required string ContentHash { get; set; }
    public int Seed { get; set; }
    public double TrainRatio { get; set; }
    public double ValidationRatio { get; set; }
    public double TestRatio { get; set; }
    public int ItemCount { get; set; }
    /// <summary>JSON of the per-label split counts.</summary>
    public required string LabelCounts { get; set; }
    public string Warnings { get; set; } = "";
    public required string CreatedById { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
}

public sealed class VersionItem
{
    public Guid VersionId { get; set; }
    public Guid ItemId { get; set; }
    public required string LabelIds { get; set; }
    public Split Split { get; set; }
}

internal sealed class DatasetVersionConfiguration : IEntityTypeConfiguration<DatasetVersion>
{
    public void Configure(EntityTypeBuilder<DatasetVersion> builder)
    {
        builder.Property(v => v.Note).HasMaxLength(500);
        builder.Property(v => v.ContentHash).HasMaxLength(64);
        builder.Property(v => v.LabelCounts).HasMaxLength(64_000);
        builder.Property(v => v.Warnings).HasMaxLength(8_000);
        builder.Property(v => v.CreatedById).HasMaxLength(450);
        builder.HasIndex(v => new { v.DatasetId, v.Number }).IsUnique();
        builder.HasOne<Dataset>().WithMany().HasForeignKey(v => v.DatasetId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class VersionItemConfiguration : IEntityTypeConfiguration<VersionItem>
{
    public void Configure(EntityTypeBuilder<VersionItem> builder)
    {
        builder.HasKey(v => new { v.VersionId, v.ItemId });
        builder.Property(v => v.LabelIds).HasMaxLength(2000);
        builder.Property(v => v.Split).HasConversion<string>().HasMaxLength(16);
        builder.HasOne<DatasetVersion>().WithMany().HasForeignKey(v => v.VersionId).OnDelete(DeleteBehavior.Cascade);
        // Items are never deleted while a version holds them (NoAction): a version stays reproducible.
        builder.HasOne<Item>().WithMany().HasForeignKey(v => v.ItemId).OnDelete(DeleteBehavior.NoAction);
    }
}
