using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using TransferHub.Shared.Identity;

namespace TransferHub.Web.Features.Security;

/// <summary>One line of the security log. Rows are only ever added (see <see cref="SecurityLog"/>).</summary>
public sealed class SecurityEvent
{
    public long Sequence { get; set; }
    public DateTimeOffset At { get; set; }
    public SecurityEventKind Kind { get; set; }
    public string? ActorId { get; set; }
    public string? SubjectId { get; set; }
    /// <summary>The account's e-mail (as typed, for a failed sign-in) or the token's name.</summary>
    public required string Subject { get; set; }
    public string? Address { get; set; }
    public required string Detail { get; set; }
}

internal sealed class SecurityEventConfiguration : IEntityTypeConfiguration<SecurityEvent>
{
    public void Configure(EntityTypeBuilder<SecurityEvent> builder)
    {
        builder.ToTable("SecurityLog");
        builder.HasKey(e => e.Sequence);
        builder.Property(e => e.Sequence).ValueGeneratedOnAdd();
        builder.Property(e => e.Kind).HasConversion<string>().HasMaxLength(32);
        builder.Property(e => e.ActorId).HasMaxLength(450);
        builder.Property(e => e.SubjectId).HasMaxLength(450);
        builder.Property(e => e.Subject).HasMaxLength(256);
        builder.Property(e => e.Address).HasMaxLength(64);
        builder.Property(e => e.Detail).HasMaxLength(1000);
        builder.HasIndex(e => e.At);
        // No foreign keys: deleting an account must not erase what it did.
    }
}
