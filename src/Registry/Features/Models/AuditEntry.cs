using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace TransferHub.Registry.Features.Models;

/// <summary>One line of a model's audit log. Rows are only ever added (see <see cref="AuditLog"/>).</summary>
public sealed class AuditEntry
{
    public long Sequence { get; set; }
    public Guid ModelId { get; set; }
    public DateTimeOffset At { get; set; }
    public required string ActorId { get; set; }
    public required string Actor { get; set; }
    public required string Action { get; set; }
    public int? Version { get; set; }
    public required string Detail { get; set; }
}

internal sealed class AuditEntryConfiguration : IEntityTypeConfiguration<AuditEntry>
{
    public void Configure(EntityTypeBuilder<AuditEntry> builder)
    {
        builder.ToTable("RegistryAuditLog");
        builder.HasKey(a => a.Sequence);
        builder.Property(a => a.Sequence).ValueGeneratedOnAdd();
        builder.Property(a => a.ActorId).HasMaxLength(450);
        builder.Property(a => a.Actor).HasMaxLength(256);
        builder.Property(a => a.Action).HasMaxLength(64);
        builder.Property(a => a.Detail).HasMaxLength(4000);
        builder.HasIndex(a => new { a.ModelId, a.Sequence });
        // No cascade from the model: deleting a model must not erase its history.
    }
}
