using TorchSharp;
using TransferHub.Shared.Experiments;
using TransferHub.Training.Runtime;

namespace TransferHub.Training.Worker;

/// <summary>What a worker trains on, as shown on the workers page.</summary>
public static class WorkerDevice
{
    public static WorkerHello Describe(string workerId, string? requestedDevice)
    {
        var device = TorchRuntime.ResolveDevice(requestedDevice);
        var cores = Environment.ProcessorCount;
        if (device.type == DeviceType.CUDA)
        {
            return new WorkerHello(workerId, WorkerHubContract.ProtocolVersion, "cuda",
                $"CUDA device {device.index} of {torch.cuda.device_count()}", null, cores);
        }
        return new WorkerHello(workerId, WorkerHubContract.ProtocolVersion, "cpu", CpuName(), GC.GetGCMemoryInfo().TotalAvailableMemoryBytes, cores);
    }

    private static string? CpuName()
    {
        try
        {
            return File.Exists("/proc/cpuinfo")
                ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim()
                : null;
        }
        catch (IOException)
        {
            return null;
        }
    }
}
