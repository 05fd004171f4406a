using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace TransferHub.Training.Models;

// ResNet-18/34/50 with torchvision's module names (conv1, bn1, layer1..4, fc) and init, so torchvision
// weights load one to one. Blocks bottom to top: stem, layer1, layer2, layer3, layer4.
public sealed class ResNet : ClassifierModel
{
    private readonly Conv2d conv1;
    private readonly BatchNorm bn1;
    private readonly MaxPool2d maxpool;
    private readonly Sequential layer1;
    private readonly Sequential layer2;
    private readonly Sequential layer3;
    private readonly Sequential layer4;
    private readonly Linear fc;

    private readonly bool bottleneck;

    private ResNet(string name, bool bottleneck, int[] layers, int numClasses, int inChannels) : base(name)
    {
        this.bottleneck = bottleneck;
        var expansion = bottleneck ? Bottleneck.Expansion : BasicBlock.Expansion;
        long inPlanes = 64;
        conv1 = nn.Conv2d(inChannels, 64, 7, stride: 2, padding: 3, bias: false);
        bn1 = new BatchNorm(64);
        maxpool = nn.MaxPool2d(3, stride: 2, padding: 1);
        layer1 = MakeLayer(ref inPlanes, 64, layers[0], 1, bottleneck, expansion);
        layer2 = MakeLayer(ref inPlanes, 128, layers[1], 2, bottleneck, expansion);
        layer3 = MakeLayer(ref inPlanes, 256, layers[2], 2, bottleneck, expansion);
        layer4 = MakeLayer(ref inPlanes, 512, layers[3], 2, bottleneck, expansion);
        FeatureDim = 512 * expansion;
        fc = nn.Linear(FeatureDim, numClasses);
        RegisterComponents();
        Initialise();
    }

    public static ResNet ResNet18(int numClasses, int inChannels = 3) => new("resnet18", false, [2, 2, 2, 2], numClasses, inChannels);

    public static ResNet ResNet34(int numClasses, int inChannels = 3) => new("resnet34", false, [3, 4, 6, 3], numClasses, inChannels);

    public static ResNet ResNet50(int numClasses, int inChannels = 3) => new("resnet50", true, [3, 4, 6, 3], numClasses, inChannels);

    public override string HeadName => "fc";

    public override bool AvoidsOneDnnTraining => bottleneck;

    public override Linear Head => fc;

    public override int FeatureDim { get; }

    public override IReadOnlyList<ModelBlock> Blocks =>
        [new("stem", conv1, bn1), new("layer1", layer1), new("layer2", layer2), new("layer3", layer3), new("layer4", layer4)];

    public override Tensor Features(Tensor input)
    {
        using var scope = NewDisposeScope();
        var x = maxpool.forward(nn.functional.relu(bn1.forward(conv1.forward(input)), inplace: true));
        x = layer4.forward(layer3.forward(layer2.forward(layer1.forward(x))));
        return x.mean([2, 3]).MoveToOuterDisposeScope(); // adaptive average pool to 1×1, flattened
    }

    private static Sequential MakeLayer(ref long inPlanes, long planes, int blocks, long stride, bool bottleneck, int expansion)
    {
        Sequential? downsample = null;
        if (stride != 1 || inPlanes != planes * expansion)
            downsample = nn.Sequential(nn.Conv2d(inPlanes, planes * expansion, 1, stride: stride, bias: false), new BatchNorm(planes * expansion));

        var modules = new List<nn.Module<Tensor, Tensor>>
        {
            bottleneck ? new Bottleneck(inPlanes, planes, stride, downsample) : new BasicBlock(inPlanes, planes, stride, downsample),
        };
        inPlanes = planes * expansion;
        for (var i = 1; i < blocks; i++)
            modules.Add(bottleneck ? new Bottleneck(inPlanes, planes, 1, null) : new BasicBlock(inPlanes, planes, 1, null));
        return nn.Sequential(modules);
    }

    private void Initialise()
    {
        using var _ = no_grad();
        foreach (var module in modules())
        {
            switch (module)
            {
                case Conv2d conv:
                    nn.init.kaiming_normal_(conv.weight!, mode: nn.init.FanInOut.FanOut, nonlinearity: nn.init.NonlinearityType.ReLU);
                    break;
                case BatchNorm bn:
                    nn.init.ones_(bn.Weight);
                    nn.init.zeros_(bn.Bias);
                    break;
            }
        }
    }
}
