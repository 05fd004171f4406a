using TransferHub.Shared.Statistics;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using TransferHub.Shared.Registry;

namespace TransferHub.Registry.Features.Models;

/// <summary>
/// One version of a registered model. Everything but the stage is written once at registration:
/// its own copy of the weights (with SHA-256), what it was trained on, how and from what.
/// </summary>
public sealed class ModelVersion
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid ModelId { get; set; }
    public int Number { get; set; }
    public ModelStage Stage { get; set; }
    /// <summary>When it last became Production; rollback returns to the latest former one.</summary>
    public DateTimeOffset? PromotedAt { get; set; }
    public required string ArtifactKey { get; set; }
    public required string Sha256 { get; set; }
    public long SizeBytes { get; set; }
    /// <summary>The version exported to ONNX at registration (null where the architecture has no writer, or for versions
    /// registered before): a node serving with ONNX Runtime loads it without libtorch.</summary>
    public string? OnnxArtifactKey { get; set; }
    public string? OnnxSha256 { get; set; }
    /// <summary>What ONNX Runtime's check against TorchSharp measured at registration.</summary>
    public string? OnnxCheck { get; set; }
    public required string Architecture { get; set; }
    public required string LabelsJson { get; set; }
    public required string InputJson { get; set; }
    public required string HyperparametersJson { get; set; }
    public string? TestMetricsJson { get; set; }
    public Guid ExperimentId { get; set; }
    public Guid RunId { get; set; }
    public required string Arm { get; set; }
    public int Seed { get; set; }
    /// <summary>The experiment's verdict for the arm when the version was registered (stored as its name).</summary>
    public TransferVerdict? Verdict { get; set; }
    /// <summary>Why the verdict is what it is, and classes the arm significantly hurts: evidence for the approval.</summary>
    public string? VerdictReason { get; set; }
    public Guid DatasetVersionId { get; set; }
    public required string DatasetVersionHash { get; set; }
    public Guid? SourceModelVersionId { get; set; }
    public Guid? SourceRunId { get; set; }
    public string? SourceWeightsSha256 { get; set; }
    public required string RegisteredById { get; set; }
    public DateTimeOffset RegisteredAt { get; set; }
}

/// <summary>What the version predicted on its own validation and test items: the drift monitor's reference.</summary>
public sealed class ReferenceProfile
{
    public Guid VersionId { get; set; }
    public int Size { get; set; }
    public required string Json { get; set; }
    public DateTimeOffset CapturedAt { get; set; }
}

internal sealed class ModelVersionConfiguration : IEntityTypeConfiguration<ModelVersion>
{
    public void Configure(EntityTypeBuilder<ModelVersion> builder)
    {
        builder.ToTable("ModelVersions");
        builder.Property(v => v.Stage).HasConversion<string>().HasMaxLength(16);
        builder.Property(v => v.ArtifactKey).HasMaxLength(300);
        builder.Property(v => v.Sha256).HasMaxLength(64);
        builder.Property(v => v.OnnxArtifactKey).HasMaxLength(300);
        builder.Property(v => v.OnnxSha256).HasMaxLength(64);
        builder.Property(v => v.OnnxCheck).HasMaxLength(300);
        builder.Property(v => v.Architecture).HasMaxLength(64);
        builder.Property(v => v.LabelsJson).HasMaxLength(16_000);
        builder.Property(v => v.InputJson).HasMaxLength(1000);
        builder.Property(v => v.HyperparametersJson).HasMaxLength(8000);
        builder.Property(v => v.TestMetricsJson).HasMaxLength(64_000);
        builder.Property(v => v.Arm).HasMaxLength(100);
        builder.Property(v => v.Verdict).HasConversion<string>().HasMaxLength(64);
        builder.Property(v => v.VerdictReason).HasMaxLength(1000);
        builder.Property(v => v.DatasetVersionHash).HasMaxLength(64);
        builder.Property(v => v.SourceWeightsSha256).HasMaxLength(64);
        builder.Property(v => v.RegisteredById).HasMaxLength(450);
        builder.HasIndex(v => new { v.ModelId, v.Number }).IsUnique();
        // The database itself holds the "one Production per model" rule (ANSI quotes work on SQLite and SQL Server).
        builder.HasIndex(v => v.ModelId, "IX_ModelVersions_OneProduction").IsUnique().HasFilter("\"Stage\" = 'Production'");
        builder.HasIndex(v => v.RunId);
        builder.HasOne<RegisteredModel>().WithMany().HasForeignKey(v => v.ModelId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class ReferenceProfileConfiguration : IEntityTypeConfiguration<ReferenceProfile>
{
    public void Configure(EntityTypeBuilder<ReferenceProfile> builder)
    {
        builder.ToTable("ReferenceProfiles");
        builder.HasKey(p => p.VersionId);
        builder.Property(p => p.Json).HasMaxLength(8_000_000);
        builder.HasOne<ModelVersion>().WithOne().HasForeignKey<ReferenceProfile>(p => p.VersionId).OnDelete(DeleteBehavior.Cascade);
    }
}
