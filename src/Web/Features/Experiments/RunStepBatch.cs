using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace TransferHub.Web.Features.Experiments;

/// <summary>A batch of per-step training losses of a run, as the worker sent it (JSON array), for live and later curves.</summary>
public sealed class RunStepBatch
{
    public Guid RunId { get; set; }
    public long FirstStep { get; set; }
    public required string Json { get; set; }
}

internal sealed class RunStepBatchConfiguration : IEntityTypeConfiguration<RunStepBatch>
{
    public void Configure(EntityTypeBuilder<RunStepBatch> builder)
    {
        builder.ToTable("RunSteps");
        builder.HasKey(b => new { b.RunId, b.FirstStep });
        builder.HasOne<TrainingRun>().WithMany().HasForeignKey(b => b.RunId).OnDelete(DeleteBehavior.Cascade);
    }
}
