using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace TransferHub.Web.Features.Datasets;

/// <summary>One image or text of a dataset. Identified within its dataset by the SHA-256 of its content.</summary>
public sealed class Item
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid DatasetId { get; set; }
    public required string ContentHash { get; set; }
    public string? FileName { get; set; }
    public string? Text { get; set; }
    /// <summary>Artifact key of the image (content-addressed, shared by duplicates across datasets).</summary>
    public string? BlobKey { get; set; }
    public string? ThumbnailKey { get; set; }
    public string? ContentType { get; set; }
    public int? Width { get; set; }
    public int? Height { get; set; }
    public long SizeBytes { get; set; }
    /// <summary>Where the item came from: an import id, "drift", "api"… shown to annotators.</summary>
    public string? Origin { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    /// <summary>Sequence within the dataset, for the sequential queue order.</summary>
    public long Sequence { get; set; }
    /// <summary>How many annotators must label it: 1, or 2 for items drawn into the overlap share.</summary>
    public int RequiredAnnotations { get; set; } = 1;
    public int AnnotationCount { get; set; }
    /// <summary>Final labels (ids) once settled: by agreement, a single annotator, or a reviewer.</summary>
    public string? FinalLabelIds { get; set; }
    public bool NeedsReview { get; set; }
    public string? ReservedById { get; set; }
    public DateTimeOffset? ReservedUntil { get; set; }
}

internal sealed class ItemConfiguration : IEntityTypeConfiguration<Item>
{
    public void Configure(EntityTypeBuilder<Item> builder)
    {
        builder.Property(i => i.ContentHash).HasMaxLength(64);
        builder.Property(i => i.FileName).HasMaxLength(260);
        builder.Property(i => i.Text).HasMaxLength(DatasetRules.MaxTextLength);
        builder.Property(i => i.BlobKey).HasMaxLength(200);
        builder.Property(i => i.ThumbnailKey).HasMaxLength(200);
        builder.Property(i => i.ContentType).HasMaxLength(50);
        builder.Property(i => i.Origin).HasMaxLength(100);
        builder.Property(i => i.FinalLabelIds).HasMaxLength(2000);
        builder.Property(i => i.ReservedById).HasMaxLength(450);
        builder.HasIndex(i => new { i.DatasetId, i.ContentHash }).IsUnique();
        builder.HasIndex(i => new { i.DatasetId, i.Sequence });
        // The queue walks this index in order and stops at the first open items.
        builder.HasIndex(i => new { i.DatasetId, i.AnnotationCount, i.Sequence });
        // Finding what one annotator holds must not scan the dataset.
        builder.HasIndex(i => i.ReservedById);
        builder.HasOne<Dataset>().WithMany().HasForeignKey(i => i.DatasetId).OnDelete(DeleteBehavior.Cascade);
    }
}
