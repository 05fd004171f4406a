using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace TransferHub.Training.Models;

// torchvision's initialisation of its mobile networks (MobileNetV2, EfficientNet): convolutions Kaiming-normal over fan-out
// with zero bias, BatchNorm weight 1 and bias 0, and the classifier's Linear as each architecture defines it.
internal static class MobileInit
{
    // torchvision's Conv2dNormActivation: conv ("same" padding, no bias), BatchNorm, activation; children named 0, 1, 2.
    public static Sequential ConvNormAct(long input, long output, long kernel, long stride, long groups, nn.Module<Tensor, Tensor> activation) =>
        nn.Sequential(
            nn.Conv2d(input, output, kernel, stride: stride, padding: (kernel - 1) / 2, groups: groups, bias: false),
            new BatchNorm(output),
            activation);

    public static void Apply(nn.Module model, Action<Linear> initLinear)
    {
        using var _ = no_grad();
        foreach (var module in model.modules())
        {
            switch (module)
            {
                case Conv2d conv:
                    nn.init.kaiming_normal_(conv.weight!, mode: nn.init.FanInOut.FanOut);
                    if (conv.bias is not null) nn.init.zeros_(conv.bias);
                    break;
                case BatchNorm bn:
                    nn.init.ones_(bn.Weight);
                    nn.init.zeros_(bn.Bias);
                    break;
                case Linear linear:
                    initLinear(linear);
                    nn.init.zeros_(linear.bias!);
                    break;
            }
        }
    }
}
