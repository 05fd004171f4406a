using TransferHub.Shared.Training;
using TransferHub.Training.Data;
using TransferHub.Training.Metrics;
using static TorchSharp.torch;

namespace TransferHub.Training.Strategies;

// Runs a forward function over a split without gradients and computes the metrics.
public static class Evaluator
{
    public static ClassificationMetrics Evaluate(Func<Tensor, Tensor> forward, LabeledTensors data, Device device, int batchSize = 256) =>
        EvaluateWithPredictions(forward, data, device, batchSize).Metrics;

    // The metrics and the predicted class of every item (in the split's order) from one pass.
    public static (ClassificationMetrics Metrics, int[] Predictions) EvaluateWithPredictions(Func<Tensor, Tensor> forward, LabeledTensors data, Device device, int batchSize = 256)
    {
        var n = data.Count;
        var probabilities = new float[n * data.NumClasses];
        var lossSum = 0.0;
        using (no_grad())
        {
            for (long start = 0; start < n; start += batchSize)
            {
                using var scope = NewDisposeScope();
                var length = Math.Min(batchSize, n - start);
                var x = data.Inputs.narrow(0, start, length).to(device);
                var y = data.Labels.narrow(0, start, length).to(device);
                var logProbs = nn.functional.log_softmax(forward(x), 1);
                lossSum += nn.functional.nll_loss(logProbs, y, reduction: nn.Reduction.Sum).item<float>();
                logProbs.exp().cpu().data<float>().CopyTo(probabilities, (int)(start * data.NumClasses));
            }
        }
        var labels = data.Labels.data<long>().ToArray();
        var predictions = new int[n];
        for (var i = 0; i < n; i++)
        {
            ReadOnlySpan<float> row = probabilities.AsSpan(i * data.NumClasses, data.NumClasses);
            predictions[i] = row.IndexOf(MaxOf(row));
        }
        return (MetricsCalculator.Compute(labels, probabilities, data.NumClasses, n == 0 ? 0 : lossSum / n), predictions);
    }

    private static float MaxOf(ReadOnlySpan<float> values)
    {
        var max = float.NegativeInfinity;
        foreach (var v in values) max = Math.Max(max, v);
        return max;
    }
}
