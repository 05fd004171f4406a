namespace TransferHub.Shared.Training;

/// <summary>Recognises TorchSharp's failure to load libtorch (a serving-only node built without it).</summary>
public static class NoLibTorch
{
    /// <summary>Whether <paramref name="e"/> is TorchSharp's type initialiser failing for want of its native library.</summary>
    public static bool Caused(Exception e) =>
        e is TypeInitializationException { TypeName: "TorchSharp.torch", InnerException: NotSupportedException or DllNotFoundException };
}
