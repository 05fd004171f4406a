using TransferHub.Shared.Training;
using TransferHub.Training.Data;
using static TorchSharp.torch;

namespace TransferHub.Tests.Unit.Training;

/// <summary>
/// Two source models pretrained once per test run on large synthetic tasks: one labelled by shape (what the
/// target tasks need) and one labelled by colour (which teaches the backbone to discard shape).
/// </summary>
public sealed class SourceModels : IDisposable
{
    public SourceModels()
    {
        Shape = Pretrain(SyntheticLabel.Shape, out var shapeResult);
        ShapeResult = shapeResult;
        Colour = Pretrain(SyntheticLabel.Colour, out var colourResult);
        ColourResult = colourResult;
    }

    public IReadOnlyDictionary<string, Tensor> Shape { get; }

    public IReadOnlyDictionary<string, Tensor> Colour { get; }

    public TrainingResult ShapeResult { get; }

    public TrainingResult ColourResult { get; }

    public void Dispose()
    {
        foreach (var t in Shape.Values.Concat(Colour.Values)) t.Dispose();
    }

    private static Dictionary<string, Tensor> Pretrain(SyntheticLabel label, out TrainingResult result)
    {
        var spec = new TrainingJobSpec(TrainingHarness.Architecture, TrainingStrategy.Baseline, Seed: 7, Epochs: 6,
            BatchSize: 64, LearningRate: 3e-3, Patience: 0);
        using var data = TrainingHarness.Task(label, 1500, 200, 200, seed: label == SyntheticLabel.Shape ? 100 : 200);
        using var model = TrainingHarness.CreateModel(spec, data.NumClasses, source: null);
        result = new TransferHub.Training.Strategies.Trainer(
            Microsoft.Extensions.Logging.Abstractions.NullLogger<TransferHub.Training.Strategies.Trainer>.Instance,
            TimeProvider.System).Fit(model, data, spec);
        return model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone());
    }
}
