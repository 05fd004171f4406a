using TorchSharp;
using TorchSharp.Modules;
using TransferHub.Shared.Training;
using TransferHub.Training.Data;
using TransferHub.Training.Models;
using static TorchSharp.torch;

namespace TransferHub.Training.Strategies;

// Baseline, fine-tune and progressive unfreeze: mini-batch AdamW through the network with warm-up + cosine.
// Progressive unfreeze trains the head alone in the first stage and unfreezes one more block from the top each stage (an
// epoch, or on a step budget a share of the first half of it),
// each lower block at LayerDecay times the LR of the block above.
internal sealed class FullTrainingRunner : IEpochRunner
{
    private readonly ClassifierModel model;
    private readonly DataSplits data;
    private readonly TrainingJobSpec spec;
    private readonly Device device;
    private readonly Generator generator;
    private readonly Tensor? classWeights;
    private readonly long stepsPerEpoch;
    private readonly double headLearningRate;
    private AdamWOptimizer? optimizer;
    private List<double> baseRates = [];
    private int unfrozenBlocks = -1;
    private readonly int stageEpochs;
    private long step;

    public FullTrainingRunner(ClassifierModel model, DataSplits data, TrainingJobSpec spec, Device device, Generator generator, Tensor? classWeights)
    {
        this.model = model;
        this.data = data;
        this.spec = spec;
        this.device = device;
        this.generator = generator;
        this.classWeights = classWeights;
        stepsPerEpoch = StepBudget.StepsPerEpoch((int)data.Train.Count, spec.BatchSize);
        // On a step budget an epoch can be a single batch: unfreezing stages then span several epochs, spread over the first
        // half of the budget, instead of one block per epoch.
        stageEpochs = spec.Steps is null ? 1 : Math.Max(1, spec.Epochs / (2 * (model.Blocks.Count + 1)));
        headLearningRate = spec.HeadLearningRate ?? (spec.Strategy == TrainingStrategy.Baseline ? spec.LearningRate : spec.LearningRate * 10);
    }

    public nn.Module Checkpointed => model;

    public EpochStats TrainEpoch(int epoch, Action<long, double>? onStep, CancellationToken ct)
    {
        ConfigureStage(epoch);
        model.train();
        foreach (var block in model.Blocks.Where(b => !b.Parameters().First().requires_grad))
            block.SetTrainingMode(false);

        var n = data.Train.Count;
        using var order = randperm(n, generator: generator);
        double lossSum = 0;
        long samples = 0;
        var totalSteps = spec.Epochs * stepsPerEpoch;
        var warmupSteps = spec.WarmupEpochs * stepsPerEpoch;
        var lr = 0.0;
        for (long start = 0; start < n; start += spec.BatchSize)
        {
            ct.ThrowIfCancellationRequested();
            var length = Math.Min(spec.BatchSize, n - start);
            if (length < 2) break; // BatchNorm cannot train on a single sample
            using var scope = NewDisposeScope();
            var idx = order.narrow(0, start, length);
            var x = data.Train.Inputs.index_select(0, idx);
            if (spec.Augment && x.dim() == 4) x = Augmentation.CropAndFlip(x, generator);
            var y = data.Train.Labels.index_select(0, idx).to(device);

            var factor = LearningRateSchedule.Factor(step++, warmupSteps, totalSteps);
            var groups = optimizer!.Groups;
            for (var g = 0; g < groups.Count; g++) groups[g].LearningRate = baseRates[g] * factor;
            lr = baseRates.Max() * factor;

            optimizer.ZeroGrad();
            var loss = nn.functional.cross_entropy(model.forward(x.to(device)), y, weight: classWeights);
            loss.backward();
            optimizer.Step();
            var batchLoss = loss.item<float>();
            lossSum += batchLoss * length;
            onStep?.Invoke(step, batchLoss);
            samples += length;
        }
        var trainable = model.parameters().Where(p => p.requires_grad).Sum(p => p.numel());
        return new EpochStats(samples == 0 ? 0 : lossSum / samples, samples, lr, trainable);
    }

    public ClassificationMetrics Evaluate(SplitKind split)
    {
        model.eval();
        return Evaluator.Evaluate(model.forward, split == SplitKind.Validation ? data.Validation : data.Test, device);
    }

    public void Finish() { }

    public void SaveOptimizer(string path) => optimizer?.Save(path);

    public void Resume(int completedEpochs, string optimizerPath)
    {
        step = completedEpochs * stepsPerEpoch;
        ConfigureStage(completedEpochs);
        // Adam moments carry over unless the next epoch starts a new unfreeze stage (a straight run rebuilds then too).
        optimizer!.Load(optimizerPath);
    }

    public void Dispose() => optimizer?.Dispose();

    private void ConfigureStage(int epoch)
    {
        var blocks = model.Blocks;
        var wanted = spec.Strategy == TrainingStrategy.ProgressiveUnfreeze ? Math.Min(blocks.Count, (epoch - 1) / stageEpochs) : blocks.Count;
        if (wanted == unfrozenBlocks) return;
        unfrozenBlocks = wanted;

        var groups = new List<(IEnumerable<Parameter> Parameters, double Rate)>();
        if (spec.Strategy == TrainingStrategy.ProgressiveUnfreeze)
        {
            for (var i = 0; i < blocks.Count; i++) blocks[i].SetTrainable(i >= blocks.Count - wanted);
            groups.Add((model.Head.parameters(), headLearningRate));
            for (var k = 0; k < wanted; k++)
                groups.Add((blocks[blocks.Count - 1 - k].Parameters(), spec.LearningRate * Math.Pow(spec.LayerDecay, k)));
        }
        else if (spec.Strategy == TrainingStrategy.Baseline)
        {
            groups.Add((model.parameters(), spec.LearningRate));
        }
        else
        {
            groups.Add((model.BackboneParameters(), spec.LearningRate));
            groups.Add((model.Head.parameters(), headLearningRate));
        }

        // Rebuilding the optimizer at a stage change drops Adam moments of the blocks already training;
        // acceptable for one stage per epoch and simpler than adding groups to a live optimizer.
        optimizer?.Dispose();
        baseRates = groups.Select(g => g.Rate).ToList();
        optimizer = new AdamWOptimizer(groups, spec.WeightDecay);
    }
}
