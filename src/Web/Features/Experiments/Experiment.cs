using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using TransferHub.Web.Features.Projects;

namespace TransferHub.Web.Features.Experiments;

/// <summary>Baseline versus transfer arms on one dataset version; each arm × seed is a <see cref="TrainingRun"/>.</summary>
public sealed class Experiment
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid ProjectId { get; set; }
    public required string Name { get; set; }
    public Guid DatasetVersionId { get; set; }
    public required string Architecture { get; set; }
    /// <summary>Seeds per arm so far (grows when seeds are added to decide a verdict; a concurrency token, so they are added once).</summary>
    public int Seeds { get; set; }
    /// <summary>Seeds are added while a transfer arm is inconclusive, up to this many; 0 = never.</summary>
    public int MaxSeeds { get; set; }
    public int Epochs { get; set; }
    public int ImageSize { get; set; }
    /// <summary>Each run's budget in optimizer steps; 0 when the experiment trains a fixed number of epochs (<see cref="Epochs"/>).</summary>
    public int Steps { get; set; }
    /// <summary>The smallest gain in test macro-F1 that matters: within it an arm is "equivalent".</summary>
    public double MinimumGain { get; set; } = 0.01;
    public required string CreatedById { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public const int MaxNotifiedWarnings = 4000;

    /// <summary>When webhooks were told that every run is over (set once, by whichever node's update won).</summary>
    public DateTimeOffset? FinishedAnnouncedAt { get; set; }

    /// <summary>The arms whose early warning was already sent to the owner (newline-separated), so each arm warns once.</summary>
    public string NotifiedWarnings { get; set; } = "";
}

/// <summary>One epoch of a run, kept so that a page opened mid-run shows the whole history.</summary>
public sealed class RunMetric
{
    public Guid RunId { get; set; }
    public int Epoch { get; set; }
    public required string Json { get; set; }
}

internal sealed class ExperimentConfiguration : IEntityTypeConfiguration<Experiment>
{
    public void Configure(EntityTypeBuilder<Experiment> builder)
    {
        builder.Property(e => e.Name).HasMaxLength(100);
        builder.Property(e => e.Architecture).HasMaxLength(64);
        builder.Property(e => e.CreatedById).HasMaxLength(450);
        builder.Property(e => e.NotifiedWarnings).HasMaxLength(Experiment.MaxNotifiedWarnings);
        builder.Property(e => e.Seeds).IsConcurrencyToken();
        builder.HasIndex(e => e.ProjectId);
        builder.HasOne<Project>().WithMany().HasForeignKey(e => e.ProjectId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class RunMetricConfiguration : IEntityTypeConfiguration<RunMetric>
{
    public void Configure(EntityTypeBuilder<RunMetric> builder)
    {
        builder.HasKey(m => new { m.RunId, m.Epoch });
        builder.Property(m => m.Json).HasMaxLength(64_000);
        builder.HasOne<TrainingRun>().WithMany().HasForeignKey(m => m.RunId).OnDelete(DeleteBehavior.Cascade);
    }
}
