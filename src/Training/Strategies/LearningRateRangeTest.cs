using TransferHub.Shared.Training;
using static TorchSharp.torch;

namespace TransferHub.Training.Strategies;

/// <summary>
/// The learning-rate range test: <see cref="Steps"/> optimizer steps from <see cref="LowestRate"/> to <see cref="HighestRate"/>,
/// growing exponentially, on batches of the training split; stopped once the smoothed loss is four times its best
/// (diverged). <see cref="Choose"/> picks a tenth of the rate at the lowest smoothed loss.
/// </summary>
public static class LearningRateRangeTest
{
    public const int Steps = 100;
    public const double LowestRate = 1e-6, HighestRate = 1, FloorRate = 1e-5, CeilingRate = 0.1;
    private const double Smoothing = 0.9, DivergedFactor = 4;

    /// <summary>Runs the test through <paramref name="step"/> (one optimizer step on the given training rows at a rate; returns the
    /// batch loss) and chooses a rate; <paramref name="requested"/> is kept when the test cannot decide.</summary>
    internal static LearningRateSearch Run(Func<Tensor, double, double> step, long trainCount, int batchSize, Generator generator,
        double requested, CancellationToken ct)
    {
        var rates = new List<double>();
        var losses = new List<double>();
        Tensor? order = null;
        long position = trainCount;
        try
        {
            for (var i = 0; i < Steps; i++)
            {
                ct.ThrowIfCancellationRequested();
                if (position + Math.Min(batchSize, trainCount) > trainCount)
                {
                    order?.Dispose();
                    order = randperm(trainCount, generator: generator);
                    position = 0;
                }
                var length = Math.Min(batchSize, trainCount);
                var rate = LowestRate * Math.Pow(HighestRate / LowestRate, i / (double)(Steps - 1));
                double loss;
                using (var scope = NewDisposeScope())
                {
                    loss = step(order!.narrow(0, position, length), rate);
                }
                position += length;
                rates.Add(rate);
                losses.Add(loss);
                if (!double.IsFinite(loss) || Diverged(losses)) break;
            }
        }
        finally
        {
            order?.Dispose();
        }
        return Choose(rates, losses, requested);
    }

    /// <summary>A tenth of the rate at the lowest smoothed loss, within [<see cref="FloorRate"/>, <see cref="CeilingRate"/>];
    /// the requested rate when the smoothed loss never fell by 2 % from where it started.</summary>
    public static LearningRateSearch Choose(IReadOnlyList<double> rates, IReadOnlyList<double> losses, double requested)
    {
        var smoothed = Smooth(losses);
        var finite = Enumerable.Range(0, smoothed.Count).Where(i => double.IsFinite(smoothed[i])).ToList();
        if (finite.Count < 10)
            return new(requested, double.NaN, false, $"The range test diverged after {finite.Count} steps; the requested rate {requested:G3} is kept.", rates, smoothed);
        var lowest = finite.MinBy(i => smoothed[i]);
        var start = smoothed[finite[0]];
        if (smoothed[lowest] > 0.98 * start)
            return new(requested, rates[lowest], false,
                $"The training loss did not fall over rates {rates[0]:G2}–{rates[finite[^1]]:G2}; the requested rate {requested:G3} is kept.", rates, smoothed);
        var chosen = Math.Clamp(rates[lowest] / 10, FloorRate, CeilingRate);
        return new(chosen, rates[lowest], true,
            $"Range test: lowest loss at rate {rates[lowest]:G2} (loss {start:0.###} → {smoothed[lowest]:0.###}); a tenth of it, {chosen:G2}, is used.",
            rates, smoothed);
    }

    // An exponential moving average with bias correction, so the first steps are not pulled towards zero.
    private static List<double> Smooth(IReadOnlyList<double> losses)
    {
        var result = new List<double>(losses.Count);
        var average = 0.0;
        for (var i = 0; i < losses.Count; i++)
        {
            average = Smoothing * average + (1 - Smoothing) * losses[i];
            result.Add(double.IsFinite(losses[i]) ? average / (1 - Math.Pow(Smoothing, i + 1)) : double.NaN);
        }
        return result;
    }

    private static bool Diverged(List<double> losses)
    {
        if (losses.Count < 10) return false;
        var smoothed = Smooth(losses);
        return smoothed[^1] > DivergedFactor * smoothed.Take(smoothed.Count - 1).Min();
    }
}
