using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace TransferHub.Registry.Features.Models;

/// <summary>A named model of a project; its versions are immutable, the model's settings are not.</summary>
public sealed class RegisteredModel
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid ProjectId { get; set; }
    public required string Name { get; set; }
    public string? Description { get; set; }
    /// <summary>JSON array of tags.</summary>
    public string TagsJson { get; set; } = "[]";
    /// <summary>Minimum test macro-F1 for production; null means no threshold.</summary>
    public double? MetricThreshold { get; set; }
    /// <summary>Minimum inter-annotator agreement of the training data for production; null means not checked.</summary>
    public double? AgreementThreshold { get; set; }
    public bool KeepRawInputs { get; set; }
    public string DriftSettingsJson { get; set; } = "{}";
    public Guid? ProductionVersionId { get; set; }
    /// <summary>Changes with every promotion: two promotions racing from the same state cannot both save.</summary>
    public Guid ConcurrencyStamp { get; set; } = Guid.NewGuid();
    public required string CreatedById { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
}

internal sealed class RegisteredModelConfiguration : IEntityTypeConfiguration<RegisteredModel>
{
    public void Configure(EntityTypeBuilder<RegisteredModel> builder)
    {
        builder.ToTable("RegisteredModels");
        builder.Property(m => m.Name).HasMaxLength(ModelLimits.MaxNameLength);
        builder.Property(m => m.Description).HasMaxLength(ModelLimits.MaxDescriptionLength);
        builder.Property(m => m.TagsJson).HasMaxLength(2000);
        builder.Property(m => m.DriftSettingsJson).HasMaxLength(2000);
        builder.Property(m => m.CreatedById).HasMaxLength(450);
        builder.Property(m => m.ConcurrencyStamp).IsConcurrencyToken();
        builder.HasIndex(m => new { m.ProjectId, m.Name }).IsUnique();
    }
}
