using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using TransferHub.Shared.Datasets;
using TransferHub.Web.Features.Projects;

namespace TransferHub.Web.Features.Datasets;

public sealed class Dataset
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid ProjectId { get; set; }
    public required string Name { get; set; }
    public DatasetKind Kind { get; set; }
    public LabelTask Task { get; set; }
    public string? Guideline { get; set; }
    /// <summary>Share of items (0–100) that a second annotator also labels, for agreement.</summary>
    public int OverlapPercent { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public required string CreatedById { get; set; }
    public List<LabelClass> Labels { get; set; } = [];
}

public sealed class LabelClass
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid DatasetId { get; set; }
    public required string Name { get; set; }
    public required string Color { get; set; }
    public string? Shortcut { get; set; }
    public string? Description { get; set; }
    public int Order { get; set; }

    public LabelDto ToDto() => new(Id, Name, Color, Shortcut, Description, Order);
}

internal sealed class DatasetConfiguration : IEntityTypeConfiguration<Dataset>
{
    public void Configure(EntityTypeBuilder<Dataset> builder)
    {
        builder.Property(d => d.Name).HasMaxLength(DatasetRules.MaxNameLength);
        builder.Property(d => d.Kind).HasConversion<string>().HasMaxLength(16);
        builder.Property(d => d.Task).HasConversion<string>().HasMaxLength(16);
        builder.Property(d => d.Guideline).HasMaxLength(DatasetRules.MaxGuidelineLength);
        builder.Property(d => d.CreatedById).HasMaxLength(450);
        builder.HasIndex(d => new { d.ProjectId, d.Name }).IsUnique();
        builder.HasOne<Project>().WithMany().HasForeignKey(d => d.ProjectId).OnDelete(DeleteBehavior.Cascade);
        builder.HasMany(d => d.Labels).WithOne().HasForeignKey(l => l.DatasetId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class LabelClassConfiguration : IEntityTypeConfiguration<LabelClass>
{
    public void Configure(EntityTypeBuilder<LabelClass> builder)
    {
        builder.Property(l => l.Name).HasMaxLength(DatasetRules.MaxLabelLength);
        builder.Property(l => l.Color).HasMaxLength(9);
        builder.Property(l => l.Shortcut).HasMaxLength(1);
        builder.Property(l => l.Description).HasMaxLength(500);
        builder.HasIndex(l => new { l.DatasetId, l.Name }).IsUnique();
    }
}
