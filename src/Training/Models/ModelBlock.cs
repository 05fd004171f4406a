using static TorchSharp.torch;
using TorchSharp.Modules;

namespace TransferHub.Training.Models;

// A named group of backbone modules that freezes and gets a learning rate together.
public sealed class ModelBlock(string name, params nn.Module[] modules)
{
    public string Name { get; } = name;

    public IReadOnlyList<nn.Module> Modules { get; } = modules;

    public IEnumerable<Parameter> Parameters() => Modules.SelectMany(m => m.parameters());

    public void SetTrainable(bool trainable)
    {
        foreach (var p in Parameters()) p.requires_grad = trainable;
    }

    // Frozen blocks also stop updating BatchNorm running statistics.
    public void SetTrainingMode(bool training)
    {
        foreach (var m in Modules) m.train(training);
    }
}
