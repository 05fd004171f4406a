using System.ComponentModel.DataAnnotations;

namespace TransferHub.Registry.Features.Models;

/// <summary>Configuration section <c>Registry</c>: serving and drift monitoring.</summary>
public sealed class RegistryOptions
{
    public const string Section = "Registry";

    /// <summary>Model versions kept loaded for serving per web node; the least recently used go first.</summary>
    [Range(1, 256)]
    public int MaxLoadedModels { get; set; } = 4;

    /// <summary>How often the drift monitor checks every model in production; zero turns the schedule off.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "365.00:00:00")]
    public TimeSpan DriftInterval { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>What runs predictions: <c>TorchSharp</c> (libtorch) or <c>OnnxRuntime</c> (the ONNX export stored at registration,
    /// loaded without libtorch; a version without one is exported when it is loaded). Default by measurement (bench/Registry,
    /// docs/benchmarks.md): ONNX Runtime was faster for image models in 8 of 9 cases and for text models in 10 of 12.</summary>
    public ServingRuntime ServingRuntime { get; set; } = ServingRuntime.OnnxRuntime;

    /// <summary>Logged predictions older than this are deleted on the monitor's schedule; zero keeps them.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "3650.00:00:00")]
    public TimeSpan PredictionRetention { get; set; } = TimeSpan.FromDays(90);
}

/// <summary>The inference runtime serving uses.</summary>
public enum ServingRuntime
{
    TorchSharp,
    OnnxRuntime,
}
