using System.Runtime.CompilerServices;
using TransferHub.Training.Runtime;

namespace TransferHub.Tests.Unit.Infra;

// TH_TEST_FINALIZER_PRESSURE=1 runs the whole suite with a thread that collects garbage and runs finalizers without
// pause (with DOTNET_TieredCompilation=0 as well): a native call whose managed argument only a finalizer can reach
// then crashes within minutes instead of once in many CI runs. Off by default.
internal static class FinalizerPressureHook
{
    [ModuleInitializer]
    internal static void Start()
    {
        if (Environment.GetEnvironmentVariable("TH_TEST_FINALIZER_PRESSURE") == "1") _ = FinalizerPressure.Start(CancellationToken.None);
    }
}
