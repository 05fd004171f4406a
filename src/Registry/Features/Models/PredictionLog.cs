using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace TransferHub.Registry.Features.Models;

/// <summary>One served prediction, kept for drift monitoring and, where the model keeps raw inputs, for labeling.</summary>
public sealed class PredictionLog
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid ModelId { get; set; }
    public Guid VersionId { get; set; }
    public DateTimeOffset At { get; set; }
    public int PredictedIndex { get; set; }
    public required string Label { get; set; }
    public double Confidence { get; set; }
    /// <summary>Image: mean brightness 0–1; text: length in characters.</summary>
    public double InputStat { get; set; }
    public int? Width { get; set; }
    public int? Height { get; set; }
    /// <summary>Penultimate-layer features, float32 little-endian, base64.</summary>
    public string? Embedding { get; set; }
    public required string ContentHash { get; set; }
    /// <summary>Artifact key of the raw image, when the model keeps raw inputs.</summary>
    public string? RawKey { get; set; }
    public string? RawText { get; set; }
    public string? ContentType { get; set; }
    public DateTimeOffset? SentToLabelingAt { get; set; }
}

internal sealed class PredictionLogConfiguration : IEntityTypeConfiguration<PredictionLog>
{
    public void Configure(EntityTypeBuilder<PredictionLog> builder)
    {
        builder.ToTable("PredictionLogs");
        builder.Property(p => p.Label).HasMaxLength(200);
        builder.Property(p => p.Embedding).HasMaxLength(64_000);
        builder.Property(p => p.ContentHash).HasMaxLength(64);
        builder.Property(p => p.RawKey).HasMaxLength(200);
        builder.Property(p => p.RawText).HasMaxLength(ModelLimits.MaxRawTextLength);
        builder.Property(p => p.ContentType).HasMaxLength(50);
        builder.HasIndex(p => new { p.ModelId, p.At });
        builder.HasOne<RegisteredModel>().WithMany().HasForeignKey(p => p.ModelId).OnDelete(DeleteBehavior.Cascade);
    }
}
