using TransferHub.Shared.Training;
using TransferHub.Training.Data;
using TransferHub.Training.Models;
using TransferHub.Training.Strategies;
using static TorchSharp.torch;

namespace TransferHub.Training.Transferability;

// Runs the source model (with its own head) over the target inputs and scores it.
public static class TransferabilityScorer
{
    public static TransferabilityScores Score(ClassifierModel source, LabeledTensors target, Device device)
    {
        using var lifetime = NewDisposeScope(); // no temporary left to the GC while libtorch uses it (see Trainer.Fit)
        using var features = FeatureExtractionRunner.ExtractFeatures(source, target.Inputs, device).cpu();
        var labels = target.Labels.data<long>().ToArray();
        float[] probabilities;
        using (no_grad())
        using (var logits = source.Head.forward(features.to(device)))
        using (var softmax = logits.softmax(1).cpu())
            probabilities = softmax.data<float>().ToArray();
        return new TransferabilityScores(
            LogMe.Score(features, labels, target.NumClasses),
            Leep.Score(probabilities, labels, target.NumClasses));
    }
}
