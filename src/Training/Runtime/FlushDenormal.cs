using System.Runtime.InteropServices;
using TorchSharp;

namespace TransferHub.Training.Runtime;

// torch.set_flush_denormal for TorchSharp, which does not bind it: calls libtorch's
// at::globalContext().setFlushDenormal(bool). It sets FTZ/DAZ in MXCSR of the calling thread; threads the
// calling thread creates later (libtorch's OpenMP pool) inherit it, so call it before the first parallel op.
public static unsafe class FlushDenormal
{
    private static readonly Lazy<(IntPtr Context, IntPtr Setter)> Entry = new(Resolve);

    // True when the CPU supports it and the flag was set on this thread.
    public static bool Enable(bool on = true)
    {
        var (context, setter) = Entry.Value;
        if (setter == IntPtr.Zero) return false;
        return ((delegate* unmanaged<IntPtr, byte, byte>)setter)(context, on ? (byte)1 : (byte)0) != 0;
    }

    private static (IntPtr, IntPtr) Resolve()
    {
        if (!NativeLibrary.TryLoad("libtorch_cpu.so", typeof(torch).Assembly, null, out var lib)
            && !NativeLibrary.TryLoad("libtorch_cpu.so", out lib))
            return (IntPtr.Zero, IntPtr.Zero);
        if (!NativeLibrary.TryGetExport(lib, "_ZN2at13globalContextEv", out var getContext)
            || !NativeLibrary.TryGetExport(lib, "_ZN2at7Context16setFlushDenormalEb", out var setter))
            return (IntPtr.Zero, IntPtr.Zero);
        var context = ((delegate* unmanaged<IntPtr>)getContext)();
        return (context, setter);
    }
}
