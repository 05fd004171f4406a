using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace TransferHub.Web.Features.Weights;

/// <summary>An imported weights file, usable as the source of transfer arms in any project.</summary>
public sealed class PretrainedWeights
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public required string Name { get; set; }
    public required string Architecture { get; set; }
    public int NumClasses { get; set; }
    public int Tensors { get; set; }
    public long Parameters { get; set; }
    /// <summary>Of the stored safetensors file, which every run downloads.</summary>
    public required string Sha256 { get; set; }
    public long SizeBytes { get; set; }
    /// <summary>"safetensors", "dat", "hf-zip" or "onnx" (converted at import).</summary>
    public required string OriginalFormat { get; set; }
    /// <summary>What the import verified beyond shapes (an ONNX graph: max difference from ONNX Runtime).</summary>
    public string? Check { get; set; }
    public required string ImportedById { get; set; }
    public DateTimeOffset ImportedAt { get; set; }

    public static string ArtifactKey(Guid id) => $"weights/{id:N}.safetensors";
}

internal sealed class PretrainedWeightsConfiguration : IEntityTypeConfiguration<PretrainedWeights>
{
    public void Configure(EntityTypeBuilder<PretrainedWeights> builder)
    {
        builder.Property(w => w.Name).HasMaxLength(200);
        builder.Property(w => w.Architecture).HasMaxLength(64);
        builder.Property(w => w.Sha256).HasMaxLength(64);
        builder.Property(w => w.OriginalFormat).HasMaxLength(16);
        builder.Property(w => w.Check).HasMaxLength(300);
        builder.Property(w => w.ImportedById).HasMaxLength(450);
        builder.HasIndex(w => w.Sha256);
    }
}
