using TorchSharp;
using TransferHub.Training.Weights;
using static TorchSharp.torch;

namespace TransferHub.Training.Strategies;

// An in-memory copy of a module's state (the best checkpoint so far); saved as safetensors for resume.
public sealed class StateSnapshot : IDisposable
{
    private readonly Dictionary<string, Tensor> state;

    public StateSnapshot(nn.Module module) =>
        state = module.state_dict().ToDictionary(kv => kv.Key, kv => Copy(kv.Value));

    // The detached view is held (and disposed) past the clone: a temporary nobody references may be finalized mid-call.
    private static Tensor Copy(Tensor tensor)
    {
        using var detached = tensor.detach();
        return detached.clone();
    }

    private StateSnapshot(Dictionary<string, Tensor> state) => this.state = state;

    public static StateSnapshot Load(string path) => new(SafeTensors.Read(path));

    public void Save(string path) => SafeTensors.Write(path, state);

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
