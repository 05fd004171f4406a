using TransferHub.Training.Models;
using static TorchSharp.torch;

namespace TransferHub.Training.Weights;

// Copies named tensors into a model (backbone only for transfer), converting dtype, checking every shape.
public static class WeightLoader
{
    // Returns the names in weights that the model did not use.
    // Throws WeightMismatchException when shapes differ or required tensors are missing; lists them all.
    public static IReadOnlyList<string> LoadInto(ClassifierModel model, IReadOnlyDictionary<string, Tensor> weights, bool includeHead)
    {
        var target = model.state_dict()
            .Where(kv => includeHead || !model.IsHeadParameter(kv.Key))
            .ToDictionary(kv => kv.Key, kv => kv.Value);

        var mismatched = target
            .Where(kv => weights.TryGetValue(kv.Key, out var w) && !w.shape.SequenceEqual(kv.Value.shape))
            .Select(kv => $"{kv.Key}: model [{string.Join(", ", kv.Value.shape)}] vs file [{string.Join(", ", weights[kv.Key].shape)}]")
            .ToList();
        // num_batches_tracked only drives BatchNorm's momentum=None mode; files often omit it.
        var missing = target.Keys
            .Where(k => !weights.ContainsKey(k) && !k.EndsWith("num_batches_tracked", StringComparison.Ordinal))
            .ToList();
        if (mismatched.Count > 0 || missing.Count > 0)
            throw new WeightMismatchException(mismatched, missing);

        using (no_grad())
        {
            foreach (var (name, tensor) in target)
                if (weights.TryGetValue(name, out var source))
                {
                    // Held until the copy returns: a temporary only the native call still uses may be finalized
                    // mid-call (this crashed serving under load).
                    using var converted = source.to(tensor.dtype, tensor.device);
                    tensor.copy_(converted);
                }
        }
        return weights.Keys.Where(k => !target.ContainsKey(k)).ToList();
    }
}
