using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace TransferHub.Training.Models.Onnx;

/// <summary>
/// An imported ONNX graph as a trainable classifier: the graph's nodes run in order up to the feature cut, its learned
/// initializers are parameters (BatchNormalization's running statistics buffers) split into blocks bottom to top, and a
/// new linear head ("fc") sits on the pooled, flattened features. So feature extraction, fine-tuning and progressive
/// unfreezing work on a model the product has no class for. Without weights it is the same graph from scratch
/// (torchvision's initialisation rules), which is what a baseline needs.
/// </summary>
public sealed class OnnxGraphModel : ClassifierModel
{
    private readonly OnnxGraphSpec spec;
    private readonly OnnxBlock[] blocks;
    private readonly Linear fc;
    private readonly Dictionary<string, (OnnxBlock Block, string Key)> learned = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Tensor> constants = new(StringComparer.Ordinal);
    private readonly Tensor? inputScale;
    private readonly Tensor? inputShift;
    private readonly long[]? channelOrder;

    public OnnxGraphModel(OnnxGraphSpec spec, int numClasses) : base(OnnxGraphSpec.Architecture)
    {
        this.spec = spec;
        var blockCount = spec.Learned.Count == 0 ? 1 : spec.Learned.Max(l => l.Block) + 1;
        blocks = Enumerable.Range(0, blockCount).Select(i => new OnnxBlock($"b{i}")).ToArray();
        foreach (var l in spec.Learned)
        {
            blocks[l.Block].Add(l);
            learned[l.Name] = (blocks[l.Block], l.Key);
        }
        foreach (var c in spec.Constants)
        {
            constants[c.Name] = c.Longs is not null ? tensor(c.Longs, c.Dims) : tensor(c.Floats!.Select(v => (float)v).ToArray(), c.Dims);
        }
        (inputScale, inputShift, channelOrder) = InputConversion(spec.Input);
        FeatureDim = Math.Max(1, spec.FeatureDim); // 0 while an import has not measured it yet (the head then goes unused)
        fc = nn.Linear(FeatureDim, numClasses);
        for (var i = 0; i < blocks.Length; i++) register_module($"b{i}", blocks[i]);
        register_module("fc", fc);
    }

    public OnnxGraphSpec Spec => spec;

    /// <summary>The per-channel scale and shift from the loaders' input to the graph's (null: torchvision's convention, none needed).</summary>
    internal (Tensor? Scale, Tensor? Shift) InputAffine => (inputScale, inputShift);

    public override string HeadName => "fc";

    public override Linear Head => fc;

    public override int FeatureDim { get; }

    // libtorch 2.10's oneDNN convolution backward returned NaN input gradients, at random, for 8-channel convolutions here
    // (1 to 19 of 20 passes; 16 and 64 channels: none of 100). A graph with such narrow convolutions trains without oneDNN.
    public override bool AvoidsOneDnnTraining =>
        spec.Learned.Any(l => l.Kind == OnnxLearnedKind.ConvWeight && l.Dims.Length == 4 && l.Dims[0] < 16);

    public override IReadOnlyList<ModelBlock> Blocks => blocks.Select((b, i) => new ModelBlock(i == 0 ? "stem" : $"block{i}", b)).ToArray();

    public override Tensor Features(Tensor input)
    {
        using var scope = NewDisposeScope();
        var x = Evaluate(ToGraphInput(input), spec.FeatureOutput);
        if (x.dim() == 4 && x.shape[2] * x.shape[3] > 1)
        {
            x = x.mean([2, 3]); // a cut inside the network: pool what it gives, as the graph's own pool would
        }
        return x.reshape(x.shape[0], -1).MoveToOuterDisposeScope();
    }

    /// <summary>The graph's own value named <paramref name="output"/> for an input already in the graph's convention
    /// (what ONNX Runtime would be given): used to check parity at import.</summary>
    public Tensor Evaluate(Tensor graphInput, string output)
    {
        using var scope = NewDisposeScope();
        var values = new Dictionary<string, Tensor>(StringComparer.Ordinal) { [spec.Input.Name] = graphInput };
        foreach (var node in spec.Nodes)
        {
            if (values.ContainsKey(output))
            {
                break;
            }
            var inputs = node.Inputs.Select(name => name.Length == 0 ? null : Value(values, name, graphInput.device)).ToArray();
            var block = node.Inputs.Select(n => learned.TryGetValue(n, out var owner) ? owner.Block : null).FirstOrDefault(b => b is not null);
            var results = OnnxOps.Run(node, inputs, block?.training ?? training);
            for (var i = 0; i < results.Length && i < node.Outputs.Count; i++) values[node.Outputs[i]] = results[i];
        }
        return (values.TryGetValue(output, out var result) ? result : throw new InvalidDataException($"The graph never computes '{output}'."))
            .MoveToOuterDisposeScope();
    }

    /// <summary>The shape of every value the graph computes for <paramref name="graphInput"/> (at import: global pools, feature size).</summary>
    internal Dictionary<string, long[]> Shapes(Tensor graphInput)
    {
        using var scope = NewDisposeScope();
        var values = new Dictionary<string, Tensor>(StringComparer.Ordinal) { [spec.Input.Name] = graphInput };
        foreach (var node in spec.Nodes)
        {
            var results = OnnxOps.Run(node, node.Inputs.Select(name => name.Length == 0 ? null : Value(values, name, graphInput.device)).ToArray(), training: false);
            for (var i = 0; i < results.Length && i < node.Outputs.Count; i++) values[node.Outputs[i]] = results[i];
        }
        return values.ToDictionary(kv => kv.Key, kv => kv.Value.shape, StringComparer.Ordinal);
    }

    /// <summary>From the loaders' ImageNet-normalised RGB to what the graph was trained on.</summary>
    public Tensor ToGraphInput(Tensor input)
    {
        if (inputScale is null)
        {
            return input.alias();
        }
        using var scope = NewDisposeScope();
        var x = channelOrder is null ? input : input.index_select(1, tensor(channelOrder, device: input.device));
        return x.mul(inputScale.to(input.device)).add_(inputShift!.to(input.device)).MoveToOuterDisposeScope();
    }

    // Constants are not module state (module.to(cuda) leaves them): a float one follows the input to its device for the
    // arithmetic; an integer one (a shape, pads) is read on the host and stays there.
    private Tensor Value(Dictionary<string, Tensor> values, string name, Device device)
    {
        if (values.TryGetValue(name, out var value)) return value;
        if (learned.TryGetValue(name, out var owner)) return owner.Block.Get(owner.Key);
        if (constants.TryGetValue(name, out var constant))
        {
            return constant.dtype == ScalarType.Int64 || constant.device == device ? constant : constant.to(device);
        }
        throw new InvalidDataException($"The graph uses '{name}' before anything computes it.");
    }

    // y[c] = (x[src] · std_in + mean_in) · scale − mean[c]) / std[c], folded into one scale and shift per channel.
    private static (Tensor? Scale, Tensor? Shift, long[]? Order) InputConversion(OnnxInputSpec input)
    {
        if (input.IsTorchvisionConvention || input.Channels != 3)
        {
            return (null, null, null);
        }
        long[] order = input.Bgr ? [2, 1, 0] : [0, 1, 2];
        var scale = new float[3];
        var shift = new float[3];
        for (var c = 0; c < 3; c++)
        {
            var src = order[c];
            scale[c] = (float)(OnnxInputSpec.ImageNetStd[src] * input.PixelScale / input.Std[c]);
            shift[c] = (float)((OnnxInputSpec.ImageNetMean[src] * input.PixelScale - input.Mean[c]) / input.Std[c]);
        }
        return (tensor(scale).reshape(1, 3, 1, 1), tensor(shift).reshape(1, 3, 1, 1), input.Bgr ? order : null);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            foreach (var c in constants.Values) c.Dispose();
            inputScale?.Dispose();
            inputShift?.Dispose();
        }
        base.Dispose(disposing);
    }
}

/// <summary>A block of the graph's learned tensors: freezes, trains and gets a learning rate together.</summary>
internal sealed class OnnxBlock(string name) : nn.Module(name)
{
    public void Add(OnnxLearnedSpec spec)
    {
        var value = Initial(spec);
        if (spec.IsBuffer)
        {
            register_buffer(spec.Key, value);
        }
        else
        {
            register_parameter(spec.Key, new Parameter(value));
        }
    }

    public Tensor Get(string key) => get_parameter(key) ?? get_buffer(key) ?? throw new InvalidDataException($"No tensor '{key}'.");

    // torchvision's rules: convolutions Kaiming-normal (fan out), linear layers Kaiming-uniform, norms 1 and 0.
    private static Tensor Initial(OnnxLearnedSpec spec)
    {
        using var _ = no_grad();
        switch (spec.Kind)
        {
            case OnnxLearnedKind.ConvWeight:
                return nn.init.kaiming_normal_(empty(spec.Dims), mode: nn.init.FanInOut.FanOut, nonlinearity: nn.init.NonlinearityType.ReLU);
            case OnnxLearnedKind.LinearWeight:
                return nn.init.kaiming_uniform_(empty(spec.Dims), a: Math.Sqrt(5));
            case OnnxLearnedKind.NormScale:
            case OnnxLearnedKind.RunningVar:
                return ones(spec.Dims);
            default:
                return zeros(spec.Dims);
        }
    }
}
