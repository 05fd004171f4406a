using TransferHub.Shared.Training;
using TransferHub.Training.Data;
using TransferHub.Training.Models;

namespace TransferHub.Training.Strategies;

/// <summary>
/// Chooses an arm's learning rate by short runs at each of <see cref="Rates"/> (AdamW's useful range, half a decade apart), each
/// a quarter of the arm's step budget from the same fresh model, and keeps the rate with the best validation macro-F1 — never
/// the test split. A range test on the training loss was tried first: on a few dozen labels the model memorises its one batch
/// at any rate, the loss never turns, and it chose the highest rate for every arm (docs/benchmarks.md).
/// </summary>
public static class LearningRateSweep
{
    public static readonly IReadOnlyList<double> Rates = [1e-4, 3e-4, 1e-3, 3e-3, 1e-2];
    public const double BudgetShare = 0.25;
    public const int MinimumSteps = 50;

    /// <summary>Runs the sweep: <paramref name="createModel"/> gives the same fresh model (seed, source weights) for each rate; a new
    /// head keeps its ratio to the rate as in <paramref name="spec"/>.</summary>
    public static LearningRateSearch Run(Func<ClassifierModel> createModel, DataSplits data, TrainingJobSpec spec, Trainer trainer, CancellationToken ct)
    {
        var budget = StepBudget.Plan(spec, (int)data.Train.Count).Steps;
        var steps = Math.Max(MinimumSteps, (int)(budget * BudgetShare));
        var scores = new List<double>();
        foreach (var rate in Rates)
        {
            ct.ThrowIfCancellationRequested();
            var trial = spec with
            {
                LearningRate = rate, HeadLearningRate = spec.HeadLearningRate * rate / spec.LearningRate, Steps = steps,
                PatienceSteps = null, EvaluateEverySteps = null, FindLearningRate = false,
            };
            using var model = createModel();
            try
            {
                var result = trainer.Fit(model, data, trial, ct: ct);
                // The history holds the validated epochs only (every few on a step budget), so look the best one up by number.
                scores.Add(result.Epochs.FirstOrDefault(e => e.Epoch == result.BestEpoch)?.Validation.MacroF1 ?? double.NaN);
            }
            catch (TrainingDivergedException)
            {
                scores.Add(double.NaN);
            }
        }
        return Choose(Rates, scores, spec.LearningRate, steps);
    }

    /// <summary>The rate with the best validation macro-F1; among equals the one nearest the requested rate (on a log scale). The
    /// requested rate is kept when no rate trained.</summary>
    public static LearningRateSearch Choose(IReadOnlyList<double> rates, IReadOnlyList<double> validationF1, double requested, int stepsEach)
    {
        var trained = Enumerable.Range(0, rates.Count).Where(i => double.IsFinite(validationF1[i])).ToList();
        var tried = string.Join(", ", Enumerable.Range(0, rates.Count).Select(i => $"{rates[i]:G2} → {(double.IsFinite(validationF1[i]) ? validationF1[i].ToString("0.000") : "diverged")}"));
        if (trained.Count == 0)
            return new(requested, false, $"No rate of the sweep trained ({tried}); the requested rate {requested:G3} is kept.", rates, validationF1, stepsEach);
        var best = trained.Max(i => validationF1[i]);
        var chosen = trained.Where(i => validationF1[i] >= best - 1e-9).MinBy(i => Math.Abs(Math.Log(rates[i] / requested)));
        return new(rates[chosen], true,
            $"Sweep of {rates.Count} rates × {stepsEach} steps, validation macro-F1: {tried}; {rates[chosen]:G2} is used.", rates, validationF1, stepsEach);
    }
}
