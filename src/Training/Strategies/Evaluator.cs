using TransferHub.Shared.Training;
using TransferHub.Training.Data;
using TransferHub.Training.Metrics;
using static TorchSharp.torch;

namespace TransferHub.Training.Strategies;

// Runs a forward function over a split without gradients and computes the metrics.
public static class Evaluator
{
    public static ClassificationMetrics Evaluate(Func<Tensor, Tensor> forward, LabeledTensors data, Device device, int batchSize = 256)
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
        return MetricsCalculator.Compute(labels, probabilities, data.NumClasses, n == 0 ? 0 : lossSum / n);
    }

    // The predicted class of every item, in the split's order.
    public static int[] Predict(Func<Tensor, Tensor> forward, LabeledTensors data, Device device, int batchSize = 256)
    {
        var predictions = new int[data.Count];
        using (no_grad())
        {
            for (long start = 0; start < data.Count; start += batchSize)
            {
                using var scope = NewDisposeScope();
                var length = Math.Min(batchSize, data.Count - start);
                var classes = forward(data.Inputs.narrow(0, start, length).to(device)).argmax(1).cpu().data<long>().ToArray();
                for (var i = 0; i < classes.Length; i++) predictions[start + i] = (int)classes[i];
            }
        }
        return predictions;
    }
}
