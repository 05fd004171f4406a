using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace TransferHub.Web.Features.Workers;

/// <summary>A training worker the server has heard from: in the database so every web node lists the same workers.</summary>
public sealed class WorkerRecord
{
    public required string Id { get; set; }
    /// <summary>"in-process" or "remote".</summary>
    public required string Kind { get; set; }
    public required string Device { get; set; }
    public string? DeviceName { get; set; }
    public long? MemoryBytes { get; set; }
    public int CpuCores { get; set; }
    public bool Connected { get; set; }
    /// <summary>The hub connection of its latest registration: only that connection's close marks it offline.</summary>
    public string? ConnectionId { get; set; }
    public Guid? CurrentRunId { get; set; }
    /// <summary>
    /// The credential it registered with ("worker:{token id}", "worker:embedded"; null in-process): another credential
    /// may not speak for this worker id while this one is valid.
    /// </summary>
    public string? Principal { get; set; }
    public DateTimeOffset ConnectedAt { get; set; }
    public DateTimeOffset LastSeenAt { get; set; }
}

internal sealed class WorkerRecordConfiguration : IEntityTypeConfiguration<WorkerRecord>
{
    public void Configure(EntityTypeBuilder<WorkerRecord> builder)
    {
        builder.ToTable("Workers");
        builder.Property(w => w.Id).HasMaxLength(200);
        builder.Property(w => w.Kind).HasMaxLength(16);
        builder.Property(w => w.Device).HasMaxLength(16);
        builder.Property(w => w.DeviceName).HasMaxLength(200);
        builder.Property(w => w.ConnectionId).HasMaxLength(64);
        builder.Property(w => w.Principal).HasMaxLength(64);
    }
}
