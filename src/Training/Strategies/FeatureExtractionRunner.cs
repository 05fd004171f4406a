using TorchSharp;
using TorchSharp.Modules;
using TransferHub.Shared.Training;
using TransferHub.Training.Data;
using TransferHub.Training.Models;
using static TorchSharp.torch;

namespace TransferHub.Training.Strategies;

// Frozen backbone: features of every split are computed once (eval mode, no augmentation) and cached; epochs
// then train only the head on them. Features are standardised with the training mean/std because pretrained
// features can be large in scale (a new head under-trains on them); the scaling is folded into the head at the
// end so the exported model works on raw inputs.
internal sealed class FeatureExtractionRunner : IEpochRunner
{
    private readonly ClassifierModel model;
    private readonly TrainingJobSpec spec;
    private readonly Device device;
    private readonly Generator generator;
    private readonly Tensor? classWeights;
    private readonly LabeledTensors train;
    private readonly LabeledTensors validation;
    private readonly LabeledTensors test;
    private readonly Tensor mean;
    private readonly Tensor std;
    private readonly AdamWOptimizer optimizer;
    private readonly double headLearningRate;
    private long step;

    public FeatureExtractionRunner(ClassifierModel model, DataSplits data, TrainingJobSpec spec, Device device, Generator generator, Tensor? classWeights)
    {
        this.model = model;
        this.spec = spec;
        this.device = device;
        this.generator = generator;
        this.classWeights = classWeights;
        foreach (var p in model.BackboneParameters()) p.requires_grad = false;

        using var rawTrain = ExtractFeatures(model, data.Train.Inputs, device);
        mean = rawTrain.mean([0]);
        std = rawTrain.std([0]).clamp_min(1e-6);
        train = new LabeledTensors(Standardise(rawTrain), data.Train.Labels.clone().to(device), data.NumClasses);
        using var rawVal = ExtractFeatures(model, data.Validation.Inputs, device);
        validation = new LabeledTensors(Standardise(rawVal), data.Validation.Labels.clone(), data.NumClasses);
        using var rawTest = ExtractFeatures(model, data.Test.Inputs, device);
        test = new LabeledTensors(Standardise(rawTest), data.Test.Labels.clone(), data.NumClasses);

        headLearningRate = spec.HeadLearningRate ?? spec.LearningRate * 10;
        optimizer = new AdamWOptimizer([(model.Head.parameters(), headLearningRate)], spec.WeightDecay);
    }

    public nn.Module Checkpointed => model.Head;

    // Backbone features of all inputs, in eval mode, batch by batch.
    public static Tensor ExtractFeatures(ClassifierModel model, Tensor inputs, Device device, int batchSize = 256)
    {
        model.eval();
        var parts = new List<Tensor>();
        using (no_grad())
        {
            for (long start = 0; start < inputs.shape[0]; start += batchSize)
            {
                using var scope = NewDisposeScope();
                var length = Math.Min(batchSize, inputs.shape[0] - start);
                parts.Add(model.Features(inputs.narrow(0, start, length).to(device)).MoveToOuterDisposeScope());
            }
        }
        var all = cat(parts, 0);
        foreach (var p in parts) p.Dispose();
        return all;
    }

    public EpochStats TrainEpoch(int epoch, Action<long, double>? onStep, CancellationToken ct)
    {
        model.Head.train();
        var n = train.Count;
        using var order = randperm(n, generator: generator);
        var stepsPerEpoch = (n + spec.BatchSize - 1) / spec.BatchSize;
        double lossSum = 0;
        var lr = 0.0;
        for (long start = 0; start < n; start += spec.BatchSize)
        {
            ct.ThrowIfCancellationRequested();
            using var scope = NewDisposeScope();
            var length = Math.Min(spec.BatchSize, n - start);
            var idx = order.narrow(0, start, length).to(device);
            lr = headLearningRate * LearningRateSchedule.Factor(step++, spec.WarmupEpochs * stepsPerEpoch, spec.Epochs * stepsPerEpoch);
            foreach (var g in optimizer.Groups) g.LearningRate = lr;
            optimizer.ZeroGrad();
            var loss = nn.functional.cross_entropy(model.Head.forward(train.Inputs.index_select(0, idx)), train.Labels.index_select(0, idx), weight: classWeights);
            loss.backward();
            optimizer.Step();
            var batchLoss = loss.item<float>();
            lossSum += batchLoss * length;
            onStep?.Invoke(step, batchLoss);
        }
        return new EpochStats(lossSum / n, n, lr, model.Head.parameters().Sum(p => p.numel()));
    }

    public ClassificationMetrics Evaluate(SplitKind split)
    {
        model.Head.eval();
        return Evaluator.Evaluate(model.Head.forward, split == SplitKind.Validation ? validation : test, device);
    }

    public void SaveOptimizer(string path) => optimizer.Save(path);

    public void Resume(int completedEpochs, string optimizerPath)
    {
        step = completedEpochs * ((train.Count + spec.BatchSize - 1) / spec.BatchSize);
        optimizer.Load(optimizerPath);
    }

    public void Finish()
    {
        // head(x') with x' = (x - mean) / std equals a head with W' = W / std and b' = b - W' · mean.
        using var _ = no_grad();
        var weight = model.Head.weight!;
        using var scaled = weight / std;
        using var shift = scaled.matmul(mean);
        weight.copy_(scaled);
        model.Head.bias!.sub_(shift);
    }

    public void Dispose()
    {
        optimizer.Dispose();
        train.Dispose();
        validation.Dispose();
        test.Dispose();
        mean.Dispose();
        std.Dispose();
    }

    private Tensor Standardise(Tensor features)
    {
        using var centred = features - mean; // held, not left to the GC, while the division uses it
        return centred / std;
    }
}
