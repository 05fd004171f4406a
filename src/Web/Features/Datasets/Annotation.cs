using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace TransferHub.Web.Features.Datasets;

/// <summary>One annotator's labels for one item (label ids, comma-separated, sorted).</summary>
public sealed class Annotation
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid ItemId { get; set; }
    public Guid DatasetId { get; set; }
    public required string UserId { get; set; }
    public required string LabelIds { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
    /// <summary>Milliseconds from the item being shown to the submit, for annotator speed.</summary>
    public int? DurationMs { get; set; }
}

/// <summary>Every change to a label, kept forever: who, when, from → to.</summary>
public sealed class LabelChange
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid ItemId { get; set; }
    public required string UserId { get; set; }
    public required string FromLabelIds { get; set; }
    public required string ToLabelIds { get; set; }
    public DateTimeOffset At { get; set; }
    /// <summary>"annotation", "undo", "review", "import" or "sent-to-review".</summary>
    public required string Kind { get; set; }
}

internal sealed class AnnotationConfiguration : IEntityTypeConfiguration<Annotation>
{
    public void Configure(EntityTypeBuilder<Annotation> builder)
    {
        builder.Property(a => a.UserId).HasMaxLength(450);
        builder.Property(a => a.LabelIds).HasMaxLength(2000);
        builder.HasIndex(a => new { a.ItemId, a.UserId }).IsUnique();
        builder.HasIndex(a => new { a.DatasetId, a.UserId });
        builder.HasOne<Item>().WithMany().HasForeignKey(a => a.ItemId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class LabelChangeConfiguration : IEntityTypeConfiguration<LabelChange>
{
    public void Configure(EntityTypeBuilder<LabelChange> builder)
    {
        builder.Property(c => c.UserId).HasMaxLength(450);
        builder.Property(c => c.FromLabelIds).HasMaxLength(2000);
        builder.Property(c => c.ToLabelIds).HasMaxLength(2000);
        builder.Property(c => c.Kind).HasMaxLength(16);
        builder.HasIndex(c => new { c.ItemId, c.At });
        builder.HasOne<Item>().WithMany().HasForeignKey(c => c.ItemId).OnDelete(DeleteBehavior.Cascade);
    }
}
