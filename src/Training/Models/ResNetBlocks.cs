using TorchSharp.Modules;
using static TorchSharp.torch;
using TransferHub.Training.Runtime;

namespace TransferHub.Training.Models;

// torchvision's BasicBlock (ResNet-18/34), same module names so state dicts map one to one.
internal sealed class BasicBlock : nn.Module<Tensor, Tensor>
{
    public const int Expansion = 1;
    private readonly Conv2d conv1;
    private readonly BatchNorm bn1;
    private readonly Conv2d conv2;
    private readonly BatchNorm bn2;
    private readonly Sequential? downsample;

    public BasicBlock(long inPlanes, long planes, long stride, Sequential? downsample) : base(nameof(BasicBlock))
    {
        conv1 = nn.Conv2d(inPlanes, planes, 3, stride: stride, padding: 1, bias: false);
        bn1 = new BatchNorm(planes);
        conv2 = nn.Conv2d(planes, planes, 3, padding: 1, bias: false);
        bn2 = new BatchNorm(planes);
        this.downsample = downsample;
        RegisterComponents();
    }

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var x = nn.functional.relu(bn1.forward(conv1.forward(input)), inplace: true);
        x = bn2.forward(conv2.forward(x));
        var identity = downsample is null ? input : downsample.forward(input);
        return nn.functional.relu(x.PlusInPlace(identity), inplace: true).MoveToOuterDisposeScope();
    }
}

// torchvision's Bottleneck (ResNet-50+, stride on the 3×3 conv as in torchvision v1.5).
internal sealed class Bottleneck : nn.Module<Tensor, Tensor>
{
    public const int Expansion = 4;
    private readonly Conv2d conv1;
    private readonly BatchNorm bn1;
    private readonly Conv2d conv2;
    private readonly BatchNorm bn2;
    private readonly Conv2d conv3;
    private readonly BatchNorm bn3;
    private readonly Sequential? downsample;

    public Bottleneck(long inPlanes, long planes, long stride, Sequential? downsample) : base(nameof(Bottleneck))
    {
        conv1 = nn.Conv2d(inPlanes, planes, 1, bias: false);
        bn1 = new BatchNorm(planes);
        conv2 = nn.Conv2d(planes, planes, 3, stride: stride, padding: 1, bias: false);
        bn2 = new BatchNorm(planes);
        conv3 = nn.Conv2d(planes, planes * Expansion, 1, bias: false);
        bn3 = new BatchNorm(planes * Expansion);
        this.downsample = downsample;
        RegisterComponents();
    }

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var x = nn.functional.relu(bn1.forward(conv1.forward(input)), inplace: true);
        x = nn.functional.relu(bn2.forward(conv2.forward(x)), inplace: true);
        x = bn3.forward(conv3.forward(x));
        var identity = downsample is null ? input : downsample.forward(input);
        return nn.functional.relu(x.PlusInPlace(identity), inplace: true).MoveToOuterDisposeScope();
    }
}
