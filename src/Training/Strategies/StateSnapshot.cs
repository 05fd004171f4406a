using TorchSharp;
using static TorchSharp.torch;

namespace TransferHub.Training.Strategies;

/// <summary>An in-memory copy of a module's state (the best checkpoint so far).</summary>
public sealed class StateSnapshot : IDisposable
{
    private readonly Dictionary<string, Tensor> state;

    public StateSnapshot(nn.Module module) =>
        state = module.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone());

    public void RestoreInto(nn.Module module)
    {
        using var _ = no_grad();
        foreach (var (name, tensor) in module.state_dict())
            tensor.copy_(state[name]);
    }

    public void Dispose()
    {
        foreach (var t in state.Values) t.Dispose();
    }
}
