using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace TransferHub.Training.Models;

// Three conv blocks (conv-BN-ReLU, pooling) for tiny images (8–64 px), global average pool, linear head.
public sealed class SmallCnn : ClassifierModel
{
    private readonly Sequential block1;
    private readonly Sequential block2;
    private readonly Sequential block3;
    private readonly Linear head;

    public SmallCnn(int numClasses, int inChannels = 3, int width = 32) : base(nameof(SmallCnn))
    {
        block1 = ConvBlock(inChannels, width, pool: true);
        block2 = ConvBlock(width, width * 2, pool: true);
        block3 = ConvBlock(width * 2, width * 4, pool: false);
        head = nn.Linear(width * 4, numClasses);
        FeatureDim = width * 4;
        RegisterComponents();
    }

    public override string HeadName => "head";

    public override Linear Head => head;

    public override int FeatureDim { get; }

    public override IReadOnlyList<ModelBlock> Blocks =>
        [new("block1", block1), new("block2", block2), new("block3", block3)];

    public override Tensor Features(Tensor input)
    {
        using var scope = NewDisposeScope();
        var x = block3.forward(block2.forward(block1.forward(input)));
        return x.mean([2, 3]).MoveToOuterDisposeScope();
    }

    private static Sequential ConvBlock(int inChannels, int outChannels, bool pool)
    {
        var layers = new List<(string, nn.Module<Tensor, Tensor>)>
        {
            ("conv", nn.Conv2d(inChannels, outChannels, 3, padding: 1, bias: false)),
            ("bn", new BatchNorm(outChannels)),
            ("relu", nn.ReLU()),
        };
        if (pool) layers.Add(("pool", nn.MaxPool2d(2)));
        return nn.Sequential(layers);
    }
}
