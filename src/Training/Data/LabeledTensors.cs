using static TorchSharp.torch;

namespace TransferHub.Training.Data;

// A labelled split held as tensors (small datasets are cached this way): inputs [N, ...] (float images, or
// token ids for text) and int64 labels [N]. Owns its tensors.
public sealed class LabeledTensors(Tensor inputs, Tensor labels, int numClasses) : IDisposable
{
    public Tensor Inputs { get; } = inputs;

    public Tensor Labels { get; } = labels;

    public int NumClasses { get; } = numClasses;

    public long Count => Labels.shape[0];

    // A subset by row indices (copies).
    public LabeledTensors Select(Tensor indices) =>
        new(Inputs.index_select(0, indices), Labels.index_select(0, indices), NumClasses);

    // Inverse-frequency class weights, normalised to mean 1 (for imbalanced labels).
    public Tensor ClassWeights()
    {
        using var counts = Labels.bincount(null, NumClasses).to(ScalarType.Float32).clamp_min(1);
        using var inverse = counts.reciprocal();
        return inverse * (NumClasses / inverse.sum());
    }

    public void Dispose()
    {
        Inputs.Dispose();
        Labels.Dispose();
    }
}
