using System.Globalization;
using static TorchSharp.torch;

namespace TransferHub.Training.Weights;

// timm builds EfficientNet-B0 (efficientnet_b0) and MobileNetV2 (mobilenetv2_100) from the same layers as torchvision, under
// its own names: conv_stem/bn1, blocks.{stage}.{i}.{conv_pw, bn1, conv_dw, bn2, se.conv_reduce, se.conv_expand, conv_pwl, bn3}
// (the first stage a depthwise-separable block: conv_dw, bn1, [se], conv_pw, bn2), conv_head/bn2, classifier. Renamed here,
// such a file loads into our torchvision-named modules, and everything after the import sees torchvision's names.
public static class TimmNames
{
    private static readonly Dictionary<string, (int[] Repeats, int Last, string Block, Dictionary<string, string> Separable, Dictionary<string, string> Inverted)> Layouts =
        new(StringComparer.OrdinalIgnoreCase)
        {
            ["efficientnet-b0"] = ([1, 2, 2, 3, 3, 4, 1], 8, "block",
                new() { ["conv_dw"] = "0.0", ["bn1"] = "0.1", ["se.conv_reduce"] = "1.fc1", ["se.conv_expand"] = "1.fc2", ["conv_pw"] = "2.0", ["bn2"] = "2.1" },
                new()
                {
                    ["conv_pw"] = "0.0", ["bn1"] = "0.1", ["conv_dw"] = "1.0", ["bn2"] = "1.1",
                    ["se.conv_reduce"] = "2.fc1", ["se.conv_expand"] = "2.fc2", ["conv_pwl"] = "3.0", ["bn3"] = "3.1",
                }),
            ["mobilenet-v2"] = ([1, 2, 3, 4, 3, 3, 1], 18, "conv",
                new() { ["conv_dw"] = "0.0", ["bn1"] = "0.1", ["conv_pw"] = "1", ["bn2"] = "2" },
                new() { ["conv_pw"] = "0.0", ["bn1"] = "0.1", ["conv_dw"] = "1.0", ["bn2"] = "1.1", ["conv_pwl"] = "2", ["bn3"] = "3" }),
        };

    /// <summary>Whether the tensors carry timm's names for an architecture that has them.</summary>
    public static bool Applies(string architecture, IReadOnlyDictionary<string, Tensor> tensors) =>
        Layouts.ContainsKey(architecture) && tensors.ContainsKey("conv_stem.weight");

    /// <summary>The same tensors under torchvision's names; a name timm's layout does not explain is kept (and reported unused by the loader).</summary>
    public static Dictionary<string, Tensor> ToTorchvision(string architecture, IReadOnlyDictionary<string, Tensor> tensors)
    {
        var layout = Layouts[architecture];
        return tensors.ToDictionary(kv => Rename(layout, kv.Key) ?? kv.Key, kv => kv.Value);
    }

    private static string? Rename((int[] Repeats, int Last, string Block, Dictionary<string, string> Separable, Dictionary<string, string> Inverted) layout, string name)
    {
        var dot = name.LastIndexOf('.');
        if (dot < 0)
        {
            return null;
        }
        var (module, parameter) = (name[..dot], name[(dot + 1)..]);
        switch (module)
        {
            case "conv_stem": return $"features.0.0.{parameter}";
            case "bn1": return $"features.0.1.{parameter}";
            case "conv_head": return $"features.{layout.Last}.0.{parameter}";
            case "bn2": return $"features.{layout.Last}.1.{parameter}";
            case "classifier": return $"classifier.1.{parameter}";
        }
        var parts = module.Split('.', 4);
        if (parts is not ["blocks", var s, var i, var rest]
            || !int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var stage) || stage >= layout.Repeats.Length
            || !int.TryParse(i, NumberStyles.None, CultureInfo.InvariantCulture, out var index) || index >= layout.Repeats[stage]
            || !(stage == 0 ? layout.Separable : layout.Inverted).TryGetValue(rest, out var ours))
        {
            return null;
        }
        // torchvision's EfficientNet groups blocks by stage (features.{stage + 1}.{i}); its MobileNetV2 numbers them flat.
        var feature = layout.Block == "block" ? $"{stage + 1}.{index}" : (1 + layout.Repeats.Take(stage).Sum() + index).ToString(CultureInfo.InvariantCulture);
        return $"features.{feature}.{layout.Block}.{ours}.{parameter}";
    }
}
