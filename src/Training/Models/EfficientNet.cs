using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using TransferHub.Training.Runtime;

namespace TransferHub.Training.Models;

// EfficientNet-B0 with torchvision's module names (features.N.M.block.K…, classifier.1), init and stochastic depth, so
// torchvision's (and timm's tv_in1k) weights load one to one. Blocks bottom to top: the stem, the seven MBConv stages,
// the last 1×1 conv.
public sealed class EfficientNet : ClassifierModel
{
    // (expand ratio, kernel, first stride, input channels, output channels, repeats) — torchvision's B0 configuration.
    private static readonly (int Expand, int Kernel, int Stride, int Input, int Output, int Repeats)[] B0 =
    [
        (1, 3, 1, 32, 16, 1), (6, 3, 2, 16, 24, 2), (6, 5, 2, 24, 40, 2), (6, 3, 2, 40, 80, 3),
        (6, 5, 1, 80, 112, 3), (6, 5, 2, 112, 192, 4), (6, 3, 1, 192, 320, 1),
    ];

    // Each stage's first depthwise stride (what the ONNX writer cannot read from the weights).
    internal static IReadOnlyList<int> StageStrides { get; } = [.. B0.Select(s => s.Stride)];

    private const double StochasticDepth = 0.2;
    private const int LastChannels = 1280;

    private readonly Sequential features;
    private readonly Sequential classifier;
    private readonly List<ModelBlock> blocks = [];

    public EfficientNet(int numClasses, int inChannels = 3) : base(nameof(EfficientNet))
    {
        var layers = new List<nn.Module<Tensor, Tensor>> { ConvBnSiLU(inChannels, B0[0].Input, 3, 2, 1) };
        blocks.Add(new ModelBlock("stem", layers[0]));
        var total = B0.Sum(s => s.Repeats);
        var index = 0;
        for (var stage = 0; stage < B0.Length; stage++)
        {
            var (expand, kernel, stride, input, output, repeats) = B0[stage];
            var stageBlocks = new List<nn.Module<Tensor, Tensor>>();
            for (var i = 0; i < repeats; i++)
            {
                // Deeper blocks are dropped more often in training: torchvision's linear schedule over all blocks.
                stageBlocks.Add(new MBConv(i == 0 ? input : output, output, expand, kernel, i == 0 ? stride : 1, StochasticDepth * index++ / total));
            }
            var sequential = nn.Sequential(stageBlocks);
            layers.Add(sequential);
            blocks.Add(new ModelBlock($"stage{stage + 1}", sequential));
        }
        layers.Add(ConvBnSiLU(B0[^1].Output, LastChannels, 1, 1, 1));
        blocks.Add(new ModelBlock("last", layers[^1]));
        features = nn.Sequential(layers);
        classifier = nn.Sequential(nn.Dropout(0.2), nn.Linear(LastChannels, numClasses));
        RegisterComponents();
        MobileInit.Apply(this, l => nn.init.uniform_(l.weight!, -1.0 / Math.Sqrt(l.out_features), 1.0 / Math.Sqrt(l.out_features)));
    }

    public override string HeadName => "classifier";

    public override Linear Head => classifier.children().OfType<Linear>().Single();

    public override int FeatureDim => LastChannels;

    public override IReadOnlyList<ModelBlock> Blocks => blocks;

    public override Tensor Features(Tensor input)
    {
        using var scope = NewDisposeScope();
        return features.forward(input).mean([2, 3]).MoveToOuterDisposeScope();
    }

    public override Tensor forward(Tensor input)
    {
        using var f = Features(input);
        return classifier.forward(f); // the dropout in front of the linear layer, as torchvision's
    }

    private static Sequential ConvBnSiLU(long input, long output, long kernel, long stride, long groups) =>
        MobileInit.ConvNormAct(input, output, kernel, stride, groups, nn.SiLU());


    // torchvision's MBConv: [1×1 expand] → k×k depthwise → squeeze-and-excitation → 1×1 linear projection; a residual with
    // stochastic depth (whole samples' branches dropped in training) when shapes allow.
    private sealed class MBConv : nn.Module<Tensor, Tensor>
    {
        private readonly Sequential block;
        private readonly bool residual;
        private readonly double dropProbability;

        public MBConv(int input, int output, int expand, int kernel, int stride, double dropProbability) : base(nameof(MBConv))
        {
            var hidden = input * expand;
            residual = stride == 1 && input == output;
            this.dropProbability = dropProbability;
            var layers = new List<nn.Module<Tensor, Tensor>>();
            if (hidden != input) layers.Add(ConvBnSiLU(input, hidden, 1, 1, 1));
            layers.Add(ConvBnSiLU(hidden, hidden, kernel, stride, hidden));
            layers.Add(new SqueezeExcitation(hidden, Math.Max(1, input / 4)));
            layers.Add(nn.Sequential(nn.Conv2d(hidden, output, 1, bias: false), new BatchNorm(output)));
            block = nn.Sequential(layers);
            RegisterComponents();
        }

        public override Tensor forward(Tensor input)
        {
            var x = block.forward(input);
            if (!residual) return x;
            if (training && dropProbability > 0)
            {
                // "row" mode: each sample's branch kept with probability 1 − p and scaled by 1 / (1 − p).
                using var keep = empty([input.shape[0], 1, 1, 1], dtype: x.dtype, device: x.device).bernoulli_(1 - dropProbability);
                using var scale = (1 / (1 - dropProbability)).ToScalar();
                keep.mul_(scale);
                using var branch = x;
                x = branch.mul(keep);
            }
            using (x) return x.Plus(input);
        }
    }

    // torchvision's SqueezeExcitation: channel weights from the pooled input (fc1 → SiLU → fc2 → sigmoid).
    private sealed class SqueezeExcitation : nn.Module<Tensor, Tensor>
    {
        private readonly Conv2d fc1;
        private readonly Conv2d fc2;

        public SqueezeExcitation(int channels, int squeeze) : base(nameof(SqueezeExcitation))
        {
            fc1 = nn.Conv2d(channels, squeeze, 1);
            fc2 = nn.Conv2d(squeeze, channels, 1);
            RegisterComponents();
        }

        public override Tensor forward(Tensor input)
        {
            using var pooled = input.mean([2, 3], keepdim: true);
            using var squeezed = fc1.forward(pooled);
            using var activated = nn.functional.silu(squeezed);
            using var expanded = fc2.forward(activated);
            using var scale = expanded.sigmoid();
            return input.mul(scale);
        }
    }
}
