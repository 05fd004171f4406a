using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using TransferHub.Training.Runtime;

namespace TransferHub.Training.Models;

// MobileNetV2 (width 1.0) with torchvision's module names (features.N.conv.M…, classifier.1) and init.
// Blocks bottom to top: the stem, the seven inverted-residual stages, the last 1×1 conv.
public sealed class MobileNetV2 : ClassifierModel
{
    // (expansion t, channels c, repeats n, first stride s) — the paper's Table 2.
    private static readonly (int T, int C, int N, int S)[] Settings =
        [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1)];

    // Each inverted-residual block's depthwise stride, bottom to top (what the ONNX writer cannot read from the weights).
    internal static IReadOnlyList<int> BlockStrides { get; } = [.. Settings.SelectMany(s => Enumerable.Range(0, s.N).Select(i => i == 0 ? s.S : 1))];

    private readonly Sequential features;
    private readonly Sequential classifier;
    private readonly List<ModelBlock> blocks = [];

    public MobileNetV2(int numClasses, int inChannels = 3) : base(nameof(MobileNetV2))
    {
        var layers = new List<nn.Module<Tensor, Tensor>> { ConvBnReLU6(inChannels, 32, 3, 2, 1) };
        blocks.Add(new ModelBlock("stem", layers[0]));
        var input = 32;
        for (var stage = 0; stage < Settings.Length; stage++)
        {
            var (t, c, n, s) = Settings[stage];
            var stageModules = new List<nn.Module>();
            for (var i = 0; i < n; i++)
            {
                var block = new InvertedResidual(input, c, i == 0 ? s : 1, t);
                layers.Add(block);
                stageModules.Add(block);
                input = c;
            }
            blocks.Add(new ModelBlock($"stage{stage + 1}", [.. stageModules]));
        }
        layers.Add(ConvBnReLU6(input, 1280, 1, 1, 1));
        blocks.Add(new ModelBlock("last", layers[^1]));
        features = nn.Sequential(layers);
        classifier = nn.Sequential(nn.Dropout(0.2), nn.Linear(1280, numClasses));
        RegisterComponents();
        MobileInit.Apply(this, l => nn.init.normal_(l.weight!, 0, 0.01));
    }

    public override string HeadName => "classifier";

    public override Linear Head => classifier.children().OfType<Linear>().Single();

    public override int FeatureDim => 1280;

    public override IReadOnlyList<ModelBlock> Blocks => blocks;

    public override Tensor Features(Tensor input)
    {
        using var scope = NewDisposeScope();
        return features.forward(input).mean([2, 3]).MoveToOuterDisposeScope();
    }

    public override Tensor forward(Tensor input)
    {
        using var f = Features(input);
        return classifier.forward(f); // includes the dropout in front of the linear layer, as torchvision does
    }

    private static Sequential ConvBnReLU6(long input, long output, long kernel, long stride, long groups) =>
        MobileInit.ConvNormAct(input, output, kernel, stride, groups, nn.ReLU6());


    // torchvision's InvertedResidual: [1×1 expand] → 3×3 depthwise → 1×1 linear projection, residual when shapes allow.
    private sealed class InvertedResidual : nn.Module<Tensor, Tensor>
    {
        private readonly Sequential conv;
        private readonly bool residual;

        public InvertedResidual(int input, int output, int stride, int expansion) : base(nameof(InvertedResidual))
        {
            var hidden = input * expansion;
            residual = stride == 1 && input == output;
            var layers = new List<nn.Module<Tensor, Tensor>>();
            if (expansion != 1) layers.Add(ConvBnReLU6(input, hidden, 1, 1, 1));
            layers.Add(ConvBnReLU6(hidden, hidden, 3, stride, hidden));
            layers.Add(nn.Conv2d(hidden, output, 1, bias: false));
            layers.Add(new BatchNorm(output));
            conv = nn.Sequential(layers);
            RegisterComponents();
        }

        public override Tensor forward(Tensor input)
        {
            var x = conv.forward(input);
            if (!residual) return x;
            using (x) return x.Plus(input);
        }
    }
}
