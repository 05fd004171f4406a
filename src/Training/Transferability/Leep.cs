namespace TransferHub.Training.Transferability;

// LEEP (Nguyen et al., ICML 2020): the mean log-likelihood of the target labels under the "expected empirical
// predictor" built from the source model's soft predictions. With θ(x) the source label distribution:
// P(y,z) = 1/n Σ_{i: y_i=y} θ(x_i)_z, P(y|z) = P(y,z) / Σ_y' P(y',z), LEEP = 1/n Σ_i log Σ_z P(y_i|z) θ(x_i)_z.
// Always ≤ 0; higher means a more transferable source.
public static class Leep
{
    // sourceProbabilities: Row-major [n, Z] softmax outputs of the source model on the target inputs.
    // labels: Target labels, length n.
    // numTargetClasses: Number of target classes.
    public static double Score(ReadOnlySpan<float> sourceProbabilities, ReadOnlySpan<long> labels, int numTargetClasses)
    {
        var n = labels.Length;
        if (n == 0 || sourceProbabilities.Length % n != 0)
            throw new ArgumentException("Probabilities must be an [n, Z] matrix for n labels.", nameof(sourceProbabilities));
        var z = sourceProbabilities.Length / n;

        var joint = new double[numTargetClasses, z];
        for (var i = 0; i < n; i++)
            for (var j = 0; j < z; j++)
                joint[labels[i], j] += sourceProbabilities[i * z + j] / (double)n;

        var conditional = new double[numTargetClasses, z];
        for (var j = 0; j < z; j++)
        {
            var marginal = 0.0;
            for (var y = 0; y < numTargetClasses; y++) marginal += joint[y, j];
            for (var y = 0; y < numTargetClasses; y++) conditional[y, j] = marginal > 0 ? joint[y, j] / marginal : 0;
        }

        var total = 0.0;
        for (var i = 0; i < n; i++)
        {
            var likelihood = 0.0;
            for (var j = 0; j < z; j++) likelihood += conditional[labels[i], j] * sourceProbabilities[i * z + j];
            total += Math.Log(Math.Max(likelihood, double.Epsilon));
        }
        return total / n;
    }
}
