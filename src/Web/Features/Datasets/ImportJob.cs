using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using TransferHub.Shared.Datasets;

namespace TransferHub.Web.Features.Datasets;

public sealed class ImportJob
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid DatasetId { get; set; }
    public required string CreatedById { get; set; }
    public ImportStatus Status { get; set; }
    /// <summary>CSV column names chosen for a text import (null: "text" and "label").</summary>
    public string? TextColumn { get; set; }
    public string? LabelColumn { get; set; }
    /// <summary>Whether labels in the files are ground truth or pre-labels to confirm.</summary>
    public ImportedLabels LabelsAs { get; set; }
    public int Total { get; set; }
    public int Processed { get; set; }
    public int Added { get; set; }
    public int Duplicates { get; set; }
    public int Rejected { get; set; }
    /// <summary>Report lines, newline-separated (capped).</summary>
    public string Messages { get; set; } = "";
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? CompletedAt { get; set; }

    public ImportDto ToDto() => new(Id, DatasetId, Status, Total, Processed, Added, Duplicates, Rejected,
        Messages.Split('\n', StringSplitOptions.RemoveEmptyEntries), CreatedAt, CompletedAt, LabelsAs);
}

internal sealed class ImportJobConfiguration : IEntityTypeConfiguration<ImportJob>
{
    public void Configure(EntityTypeBuilder<ImportJob> builder)
    {
        builder.Property(i => i.CreatedById).HasMaxLength(450);
        builder.Property(i => i.Status).HasConversion<string>().HasMaxLength(16);
        builder.Property(i => i.Messages).HasMaxLength(64_000);
        builder.Property(i => i.TextColumn).HasMaxLength(100);
        builder.Property(i => i.LabelColumn).HasMaxLength(100);
        builder.HasIndex(i => i.DatasetId);
        builder.HasOne<Dataset>().WithMany().HasForeignKey(i => i.DatasetId).OnDelete(DeleteBehavior.Cascade);
    }
}
