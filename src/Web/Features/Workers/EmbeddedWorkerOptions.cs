using System.ComponentModel.DataAnnotations;

namespace TransferHub.Web.Features.Workers;

/// <summary>Where the server's own training worker runs.</summary>
public enum EmbeddedWorkerMode
{
    /// <summary>A child process the server supervises (the default): a native crash costs one run attempt, never the portal.</summary>
    Process,

    /// <summary>Inside the web process: for tests on an in-memory server that a child process cannot reach.</summary>
    InProcess,

    /// <summary>No embedded worker: only remote workers train.</summary>
    Off,
}

/// <summary>Configuration section <c>Workers</c>.</summary>
public sealed class EmbeddedWorkerOptions
{
    public const string Section = "Workers";

    /// <summary><c>Process</c>, <c>InProcess</c> or <c>Off</c>. The older <c>Workers:InProcess=false</c> still means <c>Off</c>.</summary>
    public EmbeddedWorkerMode Embedded { get; set; } = EmbeddedWorkerMode.Process;

    /// <summary>Kept for existing configurations: false turns the embedded worker off.</summary>
    public bool InProcess { get; set; } = true;

    /// <summary>The child worker's <c>--device</c>: auto, cpu, cuda, cuda:1.</summary>
    [RegularExpression("^(auto|cpu|cuda(:[0-9]+)?)$")]
    public string Device { get; set; } = "auto";

    /// <summary>
    /// The child's libtorch CPU threads (<c>--cpu-threads</c>); 0 = every core but one, which the web server keeps: on
    /// 2 cores a full OpenMP pool beside the busy web process trained the sample project 50 % slower (docs/benchmarks.md).
    /// </summary>
    [Range(0, 1024)]
    public int CpuThreads { get; set; }

    /// <summary>Longest wait before the child is started again after it exited; the wait doubles from one second.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan MaxRestartDelay { get; set; } = TimeSpan.FromSeconds(60);

    public EmbeddedWorkerMode Mode => InProcess ? Embedded : EmbeddedWorkerMode.Off;
}
