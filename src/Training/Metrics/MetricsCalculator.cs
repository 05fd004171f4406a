using TransferHub.Shared.Training;

namespace TransferHub.Training.Metrics;

// Classification metrics from labels and predicted class probabilities.
public static class MetricsCalculator
{
    private const int CalibrationBins = 15;

    // labels: True classes, length N.
    // probabilities: Row-major [N, numClasses] softmax outputs.
    // numClasses: Number of classes.
    // loss: Mean loss already computed by the caller.
    public static ClassificationMetrics Compute(ReadOnlySpan<long> labels, ReadOnlySpan<float> probabilities, int numClasses, double loss)
    {
        var n = labels.Length;
        var confusion = Enumerable.Range(0, numClasses).Select(_ => new int[numClasses]).ToArray();
        var binCount = new int[CalibrationBins];
        var binCorrect = new double[CalibrationBins];
        var binConfidence = new double[CalibrationBins];
        var correct = 0;
        for (var i = 0; i < n; i++)
        {
            var row = probabilities.Slice(i * numClasses, numClasses);
            var predicted = 0;
            for (var c = 1; c < numClasses; c++)
                if (row[c] > row[predicted]) predicted = c;
            var truth = (int)labels[i];
            confusion[truth][predicted]++;
            var hit = predicted == truth;
            if (hit) correct++;
            var bin = Math.Min(CalibrationBins - 1, (int)(row[predicted] * CalibrationBins));
            binCount[bin]++;
            binCorrect[bin] += hit ? 1 : 0;
            binConfidence[bin] += row[predicted];
        }

        var perClass = new List<ClassMetrics>(numClasses);
        for (var c = 0; c < numClasses; c++)
        {
            var tp = confusion[c][c];
            var predictedC = confusion.Sum(r => r[c]);
            var support = confusion[c].Sum();
            var precision = predictedC == 0 ? 0 : (double)tp / predictedC;
            var recall = support == 0 ? 0 : (double)tp / support;
            var f1 = precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall);
            perClass.Add(new ClassMetrics(c, precision, recall, f1, support));
        }

        var ece = 0.0;
        for (var b = 0; b < CalibrationBins; b++)
            if (binCount[b] > 0)
                ece += (double)binCount[b] / n * Math.Abs(binCorrect[b] / binCount[b] - binConfidence[b] / binCount[b]);

        // Macro-F1 over classes present in the labels or the predictions, as scikit-learn does with its labels.
        var present = perClass.Where(p => p.Support > 0 || confusion.Any(r => r[p.Class] > 0)).ToList();
        var macroF1 = present.Count == 0 ? 0 : present.Average(p => p.F1);
        return new ClassificationMetrics(loss, n == 0 ? 0 : (double)correct / n, macroF1, ece, perClass, confusion);
    }
}
