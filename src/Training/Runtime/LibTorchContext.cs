using System.Runtime.InteropServices;
using TorchSharp;

namespace TransferHub.Training.Runtime;

// Settings of libtorch's at::globalContext() that TorchSharp does not bind, called through their exported C++ symbols
// (non-virtual members: the context is the first argument). Each returns false where the symbol is missing.
public static unsafe class LibTorchContext
{
    private static readonly Lazy<(IntPtr Library, IntPtr Context)> Entry = new(Resolve);

    // torch.set_flush_denormal: FTZ/DAZ in MXCSR of the calling thread; threads it creates later (libtorch's OpenMP
    // pool) inherit it, so call it before the first parallel op. True when the CPU supports it.
    public static bool SetFlushDenormal(bool on = true) =>
        Setter("_ZN2at7Context16setFlushDenormalEb") is var setter && setter != IntPtr.Zero
        && ((delegate* unmanaged<IntPtr, byte, byte>)setter)(Entry.Value.Context, on ? (byte)1 : (byte)0) != 0;

    // torch.backends.mkldnn.enabled: oneDNN convolutions on CPU (see ClassifierModel.AvoidsOneDnnTraining).
    public static bool SetOneDnn(bool on)
    {
        var setter = Setter("_ZN2at7Context20setUserEnabledMkldnnEb");
        if (setter == IntPtr.Zero) return false;
        ((delegate* unmanaged<IntPtr, byte, void>)setter)(Entry.Value.Context, on ? (byte)1 : (byte)0);
        return true;
    }

    private static IntPtr Setter(string export) =>
        Entry.Value.Library != IntPtr.Zero && NativeLibrary.TryGetExport(Entry.Value.Library, export, out var setter) ? setter : IntPtr.Zero;

    private static (IntPtr, IntPtr) Resolve()
    {
        if (!NativeLibrary.TryLoad("libtorch_cpu.so", typeof(torch).Assembly, null, out var lib)
            && !NativeLibrary.TryLoad("libtorch_cpu.so", out lib))
            return (IntPtr.Zero, IntPtr.Zero);
        if (!NativeLibrary.TryGetExport(lib, "_ZN2at13globalContextEv", out var getContext))
            return (IntPtr.Zero, IntPtr.Zero);
        return (lib, ((delegate* unmanaged<IntPtr>)getContext)());
    }
}
