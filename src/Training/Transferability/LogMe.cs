using static TorchSharp.torch;

namespace TransferHub.Training.Transferability;

// LogME (You et al., ICML 2021): for each target class (one-hot column y), the maximum over α, β of the log
// evidence of Bayesian linear regression y = F w + ε, w ~ N(0, α⁻¹I), ε ~ N(0, β⁻¹I), divided by n; the score
// is the mean over classes. α and β follow the paper's fixed-point updates, evaluated in the SVD basis of F so
// each iteration is O(min(n, D)). Compare sources only on the same target set (the value depends on n).
public static class LogMe
{
    // One class's maximised evidence per sample and the α, β that reach it.
    public readonly record struct Evidence(double LogEvidencePerSample, double Alpha, double Beta);

    // features: [n, D] features of the target inputs.
    // labels: Target labels, length n.
    // numClasses: Number of target classes.
    public static double Score(Tensor features, ReadOnlySpan<long> labels, int numClasses)
    {
        var (sigma2, projections, squaredNorms, n, d) = Decompose(features, labels, numClasses);
        var sum = 0.0;
        for (var k = 0; k < numClasses; k++)
            sum += Maximise(sigma2, projections[k], squaredNorms[k], n, d).LogEvidencePerSample;
        return sum / numClasses;
    }

    // Per-class evidence for a real-valued target (exposed for tests of the fixed point).
    public static Evidence MaximiseEvidence(Tensor features, double[] target)
    {
        using var y = tensor(target).reshape(-1, 1);
        var (sigma2, projections, squaredNorms, n, d) = Decompose(features, y);
        return Maximise(sigma2, projections[0], squaredNorms[0], n, d);
    }

    // log p(y | F, α, β) per sample, in closed form from the SVD (tests compare it with the Gaussian density).
    public static double LogEvidence(double[] sigma2, double[] z, double yNorm2, int n, int d, double alpha, double beta)
    {
        double weightNorm2 = 0, residual2 = yNorm2, logDet = (d - sigma2.Length) * Math.Log(alpha);
        for (var i = 0; i < sigma2.Length; i++)
        {
            var denominator = alpha + beta * sigma2[i];
            var m = beta * Math.Sqrt(sigma2[i]) * z[i] / denominator; // weight component along V_i
            weightNorm2 += m * m;
            residual2 += Math.Pow(alpha * z[i] / denominator, 2) - z[i] * z[i];
            logDet += Math.Log(denominator);
        }
        var evidence = n / 2.0 * Math.Log(beta) + d / 2.0 * Math.Log(alpha) - n / 2.0 * Math.Log(2 * Math.PI)
                       - beta / 2 * residual2 - alpha / 2 * weightNorm2 - logDet / 2;
        return evidence / n;
    }

    private static Evidence Maximise(double[] sigma2, double[] z, double yNorm2, int n, int d)
    {
        double alpha = 1, beta = 1;
        for (var iteration = 0; iteration < 100; iteration++)
        {
            double gamma = 0, weightNorm2 = 0, residual2 = yNorm2;
            for (var i = 0; i < sigma2.Length; i++)
            {
                var denominator = alpha + beta * sigma2[i];
                gamma += beta * sigma2[i] / denominator;
                var m = beta * Math.Sqrt(sigma2[i]) * z[i] / denominator;
                weightNorm2 += m * m;
                residual2 += Math.Pow(alpha * z[i] / denominator, 2) - z[i] * z[i];
            }
            // Features that separate the classes perfectly drive the residual to 0 and β to infinity; bounding
            // the precisions keeps the evidence finite (a very large score) instead of overflowing.
            var newAlpha = Math.Clamp(gamma / Math.Max(weightNorm2, 1e-300), 1e-12, 1e12);
            var newBeta = Math.Clamp((n - gamma) / Math.Max(residual2, 1e-300), 1e-12, 1e12);
            var converged = Math.Abs(newAlpha / newBeta - alpha / beta) <= 1e-8 * (alpha / beta);
            alpha = newAlpha;
            beta = newBeta;
            if (converged) break;
        }
        return new Evidence(LogEvidence(sigma2, z, yNorm2, n, d, alpha, beta), alpha, beta);
    }

    private static (double[] Sigma2, double[][] Projections, double[] SquaredNorms, int N, int D) Decompose(
        Tensor features, ReadOnlySpan<long> labels, int numClasses)
    {
        using var y = nn.functional.one_hot(tensor(labels.ToArray()), numClasses).to(ScalarType.Float64);
        return Decompose(features, y);
    }

    private static (double[] Sigma2, double[][] Projections, double[] SquaredNorms, int N, int D) Decompose(Tensor features, Tensor targets)
    {
        using var scope = NewDisposeScope();
        var f = features.detach().cpu().to(ScalarType.Float64);
        var (u, s, _) = linalg.svd(f, fullMatrices: false);
        var z = u.t().matmul(targets); // [r, K]
        var sigma2 = s.square().data<double>().ToArray();
        var k = (int)targets.shape[1];
        var zt = z.t().contiguous();
        var projections = Enumerable.Range(0, k).Select(c => zt[c].data<double>().ToArray()).ToArray();
        var norms = targets.square().sum([0]).data<double>().ToArray();
        return (sigma2, projections, norms, (int)f.shape[0], (int)f.shape[1]);
    }
}
