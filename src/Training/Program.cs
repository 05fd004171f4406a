using TransferHub.Training.Runtime;

namespace TransferHub.Training;

// An explicit, namespaced entry point: a top-level `Program` would clash with Web's in the test assembly.
internal static class Program
{
    private static int Main(string[] args)
    {
        _ = args;
        TorchRuntime.EnsureLoaded();
        Console.WriteLine($"TransferHub.Training: torch loaded, device {TorchRuntime.ResolveDevice()}.");
        return 0;
    }
}
