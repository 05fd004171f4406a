using System.Runtime.InteropServices;
using TorchSharp;

namespace TransferHub.Training.Runtime;

// Loads libtorch once, lazily, and picks the device; one code path for CPU and CUDA.
public static class TorchRuntime
{
    private static readonly Lazy<bool> Loaded = new(Load, LazyThreadSafetyMode.ExecutionAndPublication);

    // Loads the native backend (idempotent) and turns on flush-denormal for CPU speed.
    public static void EnsureLoaded() => _ = Loaded.Value;

    // "auto" (or null) → cuda when available, else cpu; "cpu", "cuda", "cuda:1" are honoured as given.
    public static torch.Device ResolveDevice(string? requested = null)
    {
        EnsureLoaded();
        if (string.IsNullOrWhiteSpace(requested) || requested.Equals("auto", StringComparison.OrdinalIgnoreCase))
            return torch.cuda.is_available() ? torch.CUDA : torch.CPU;

        var device = torch.device(requested);
        if (device.type == DeviceType.CUDA && !torch.cuda.is_available())
            throw new TorchUnavailableException(
                $"Device '{requested}' was requested but CUDA is not available: build with -p:TorchBackend=cuda " +
                "(TorchSharp-cuda-linux) and run on a machine with an NVIDIA driver, or use an installed PyTorch's libtorch " +
                "(bench/gpu/run.sh shows how), or use --device cpu.");
        return device;
    }

    /// <summary>Most CPU threads a CUDA training process keeps by default (see <see cref="CpuThreadsFor"/>).</summary>
    public const int GpuCpuThreads = 4;

    // On CUDA the CPU side of a step is small (batch gathering, augmentation, kernel launches); a full OpenMP pool
    // spinning beside the launching thread made epochs on an H100 up to 3x slower, now and then (docs/benchmarks.md).
    public static int CpuThreadsFor(DeviceType device, int requested, int current) =>
        requested > 0 ? requested : device == DeviceType.CUDA ? Math.Min(current, GpuCpuThreads) : current;

    /// <summary>Sets libtorch's CPU threads for a training process on <paramref name="device"/> (0 = the default for it).</summary>
    public static void ConfigureCpuThreads(torch.Device device, int requested)
    {
        var threads = CpuThreadsFor(device.type, requested, torch.get_num_threads());
        if (threads != torch.get_num_threads()) torch.set_num_threads(threads);
    }

    private static bool Load()
    {
        try
        {
            // Touching the CPU backend loads libLibTorchSharp + libtorch; the CUDA package also answers here.
            torch.InitializeDeviceType(DeviceType.CPU);
            // Denormals make small-CNN training on CPU up to 17x slower after a few hundred Adam steps.
            LibTorchContext.SetFlushDenormal();
            return true;
        }
        catch (Exception ex) when (ex is NotSupportedException or DllNotFoundException or TypeInitializationException
                                       or ExternalException or InvalidOperationException)
        {
            throw new TorchUnavailableException(
                "The TorchSharp native backend could not be loaded. Check that the output folder contains " +
                "runtimes/linux-x64/native/libLibTorchSharp.so and libtorch*.so (package libtorch-cpu-linux-x64, or " +
                "TorchSharp-cuda-linux with -p:TorchBackend=cuda). On Debian 12 the build must have run the " +
                "WeakenGlibcxx step (build/WeakenGlibcxx.targets); `ldd libLibTorchSharp.so` shows the real cause. " +
                $"Original error: {ex.Message}", ex);
        }
    }
}
