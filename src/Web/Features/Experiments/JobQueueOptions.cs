using System.ComponentModel.DataAnnotations;

namespace TransferHub.Web.Features.Experiments;

/// <summary>Configuration section <c>Jobs</c>.</summary>
public sealed class JobQueueOptions
{
    public const string Section = "Jobs";

    /// <summary>How long a claim lasts without a heartbeat; a worker that dies loses its job after this.</summary>
    [Range(typeof(TimeSpan), "00:00:05", "01:00:00")]
    public TimeSpan Lease { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Attempts before a run fails for good.</summary>
    [Range(1, 10)]
    public int MaxAttempts { get; set; } = 3;

    /// <summary>Runs of one project that may train at the same time.</summary>
    [Range(1, 100)]
    public int MaxConcurrentPerProject { get; set; } = 2;
}
