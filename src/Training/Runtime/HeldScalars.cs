using TorchSharp;
using static TorchSharp.torch;

namespace TransferHub.Training.Runtime;

// TorchSharp turns numbers into Scalars implicitly — also the hidden alpha of a + b and x.add_(y) — and nothing keeps
// such a Scalar alive during the native call it is passed to: the finalizer thread can free it mid-call ("Expected
// false to be true … Scalar.h:140", "Unknown scalar type"; reproduced by bench/Stress). Hot paths add through these.
public static class HeldScalars
{
    public static Tensor Plus(this Tensor x, Tensor y)
    {
        using var one = 1.ToScalar();
        return x.add(y, one);
    }

    public static Tensor PlusInPlace(this Tensor x, Tensor y)
    {
        using var one = 1.ToScalar();
        return x.add_(y, one);
    }
}
