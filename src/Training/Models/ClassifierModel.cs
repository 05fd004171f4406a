using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace TransferHub.Training.Models;

// A classifier split the way transfer learning needs it: a backbone that maps inputs to a flat feature
// vector, a linear head, and the backbone's blocks bottom to top (for freezing and discriminative LRs).
public abstract class ClassifierModel(string name) : nn.Module<Tensor, Tensor>(name)
{
    // The state-dict prefix of the head ("fc" for torchvision ResNets).
    public abstract string HeadName { get; }

    public abstract Linear Head { get; }

    public abstract int FeatureDim { get; }

    public int NumClasses => (int)Head.out_features;

    // Backbone blocks bottom to top; the stem counts as the first block.
    public abstract IReadOnlyList<ModelBlock> Blocks { get; }

    // Whether training on CPU must go without oneDNN: its strided 1×1 backward-data kernel divides by zero (SIGFPE, the
    // process dies) for ResNet-50's bottleneck shapes on this machine's CPU (bench/Stress). Elsewhere oneDNN is faster, but
    // once such a model trained, the process keeps oneDNN off (Trainer.Fit).
    public virtual bool AvoidsOneDnnTraining => false;

    // Backbone forward: [N, ...] → [N, FeatureDim].
    public abstract Tensor Features(Tensor input);

    public override Tensor forward(Tensor input)
    {
        using var features = Features(input);
        return Head.forward(features);
    }

    // The head's Linear by its full state-dict prefix: "fc" for ResNets, "classifier.1" behind MobileNet's and EfficientNet's dropout.
    public string HeadPrefix
    {
        get
        {
            var weight = named_parameters().First(p => IsHeadParameter(p.name) && p.name.EndsWith(".weight", StringComparison.Ordinal)).name;
            return weight[..^".weight".Length];
        }
    }

    public bool IsHeadParameter(string parameterName) =>
        parameterName.StartsWith(HeadName + ".", StringComparison.Ordinal);

    public IEnumerable<Parameter> BackboneParameters() =>
        named_parameters().Where(p => !IsHeadParameter(p.name)).Select(p => p.parameter);
}
