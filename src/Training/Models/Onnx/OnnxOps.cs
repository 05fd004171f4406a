using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace TransferHub.Training.Models.Onnx;

/// <summary>
/// The ONNX operators an imported image model may use, each as libtorch calls with ONNX's semantics (asymmetric pads,
/// opset-dependent inputs, broadcasting). Callers run inside a dispose scope; scalars are held until their call returns.
/// </summary>
internal static class OnnxOps
{
    public static readonly IReadOnlySet<string> Supported = new HashSet<string>(StringComparer.Ordinal)
    {
        "Conv", "BatchNormalization", "Relu", "LeakyRelu", "Clip", "Add", "Sub", "Mul", "Div", "MaxPool", "AveragePool",
        "GlobalAveragePool", "GlobalMaxPool", "Flatten", "Reshape", "Gemm", "MatMul", "Concat", "Sigmoid", "HardSigmoid",
        "HardSwish", "Pad", "Identity", "Dropout", "Split", "Softmax", "Constant",
    };

    public static Tensor[] Run(OnnxNodeSpec node, Tensor?[] inputs, bool training)
    {
        var x = inputs[0]!;
        return node.Op switch
        {
            "Conv" => [Conv(node, x, inputs[1]!, At(inputs, 2))],
            "BatchNormalization" => [F.batch_norm(x, inputs[3]!, inputs[4]!, inputs[1]!, inputs[2]!, training, 0.1, node.Float("epsilon", 1e-5))],
            "Relu" => [F.relu(x)],
            "LeakyRelu" => [F.leaky_relu(x, node.Float("alpha", 0.01))],
            "Sigmoid" => [x.sigmoid()],
            "HardSigmoid" => [HardSigmoid(x, node.Float("alpha", 0.2), node.Float("beta", 0.5))],
            "HardSwish" => [F.hardswish(x)],
            "Clip" => [Clip(node, x, At(inputs, 1), At(inputs, 2))],
            "Add" => [x.add(inputs[1]!)],
            "Sub" => [x.sub(inputs[1]!)],
            "Mul" => [x.mul(inputs[1]!)],
            "Div" => [x.div(inputs[1]!)],
            "MaxPool" => [MaxPool(node, x)],
            "AveragePool" => [AveragePool(node, x)],
            "GlobalAveragePool" => [x.mean([2, 3], keepdim: true)],
            "GlobalMaxPool" => [x.amax([2, 3], keepdim: true)],
            "Flatten" => [Flatten(x, node.Int("axis", 1))],
            "Reshape" => [Reshape(x, inputs[1]!)],
            "Gemm" => [Gemm(node, x, inputs[1]!, At(inputs, 2))],
            "MatMul" => [x.matmul(inputs[1]!)],
            "Concat" => [cat(inputs.Select(i => i!).ToArray(), node.Int("axis", 1))],
            "Pad" => [Pad(node, x, At(inputs, 1), At(inputs, 2))],
            "Identity" => [x.alias()],
            "Dropout" => [F.dropout(x, node.Float("ratio", 0.5), training)],
            "Split" => Split(node, x, At(inputs, 1)),
            "Softmax" => [x.softmax(node.Int("axis", -1))],
            _ => throw new NotSupportedException($"ONNX operator {node.Op} is not supported."),
        };
    }

    private static Tensor? At(Tensor?[] inputs, int i) => i < inputs.Length ? inputs[i] : null;

    private static Tensor Conv(OnnxNodeSpec node, Tensor x, Tensor weight, Tensor? bias)
    {
        var kernel = weight.shape[2..];
        var strides = node.IntList("strides") ?? [1, 1];
        var dilations = node.IntList("dilations") ?? [1, 1];
        var pads = Pads(node, x, kernel, strides, dilations);
        var symmetric = pads[0] == pads[2] && pads[1] == pads[3];
        if (!symmetric)
        {
            x = F.pad(x, [pads[1], pads[3], pads[0], pads[2]]);
        }
        return F.conv2d(x, weight, bias, strides, symmetric ? [pads[0], pads[1]] : [0, 0], dilations, node.Int("group", 1));
    }

    private static Tensor MaxPool(OnnxNodeSpec node, Tensor x)
    {
        var kernel = node.IntList("kernel_shape")!;
        var strides = node.IntList("strides") ?? [1, 1];
        var dilations = node.IntList("dilations") ?? [1, 1];
        var pads = Pads(node, x, kernel, strides, dilations);
        var symmetric = pads[0] == pads[2] && pads[1] == pads[3] && pads[0] * 2 <= kernel[0] && pads[1] * 2 <= kernel[1];
        if (!symmetric)
        {
            // The lowest float rather than −∞: a window never picks it, and −∞ in the input makes the pool's gradient NaN.
            x = F.pad(x, [pads[1], pads[3], pads[0], pads[2]], value: float.MinValue);
        }
        return F.max_pool2d(x, kernel, strides, symmetric ? [pads[0], pads[1]] : [0, 0], dilations, node.Int("ceil_mode", 0) == 1);
    }

    private static Tensor AveragePool(OnnxNodeSpec node, Tensor x)
    {
        if (node.Int("th_global", 0) == 1)
        {
            // At the declared input size this pool covers the whole map; so it stays global at other sizes.
            return x.mean([2, 3], keepdim: true);
        }
        var kernel = node.IntList("kernel_shape")!;
        var strides = node.IntList("strides") ?? [1, 1];
        var pads = Pads(node, x, kernel, strides, [1, 1]);
        if (pads[0] != pads[2] || pads[1] != pads[3])
        {
            throw new NotSupportedException($"AveragePool {node.Name}: asymmetric padding is not supported.");
        }
        return F.avg_pool2d(x, kernel, strides, [pads[0], pads[1]], node.Int("ceil_mode", 0) == 1, node.Int("count_include_pad", 0) == 1);
    }

    // [top, left, bottom, right], from explicit pads or auto_pad.
    private static long[] Pads(OnnxNodeSpec node, Tensor x, long[] kernel, long[] strides, long[] dilations)
    {
        var autoPad = node.String("auto_pad") ?? "NOTSET";
        if (autoPad is "NOTSET" or "" or "VALID")
        {
            return autoPad == "VALID" ? [0, 0, 0, 0] : node.IntList("pads") ?? [0, 0, 0, 0];
        }
        var pads = new long[4];
        for (var d = 0; d < 2; d++)
        {
            var size = x.shape[2 + d];
            var output = (size + strides[d] - 1) / strides[d];
            var total = Math.Max(0, (output - 1) * strides[d] + (kernel[d] - 1) * dilations[d] + 1 - size);
            var small = total / 2;
            (pads[d], pads[d + 2]) = autoPad == "SAME_UPPER" ? (small, total - small) : (total - small, small);
        }
        return pads;
    }

    private static Tensor Clip(OnnxNodeSpec node, Tensor x, Tensor? min, Tensor? max)
    {
        // Opset < 11 gives the bounds as attributes, later opsets as optional inputs.
        var low = min is not null ? min.item<float>() : node.Float("min", double.NegativeInfinity);
        var high = max is not null ? max.item<float>() : node.Float("max", double.PositiveInfinity);
        using var lo = low.ToScalar();
        using var hi = high.ToScalar();
        return x.clamp(lo, hi);
    }

    private static Tensor HardSigmoid(Tensor x, double alpha, double beta)
    {
        using var a = alpha.ToScalar();
        using var b = beta.ToScalar();
        using var zero = 0.0.ToScalar();
        using var one = 1.0.ToScalar();
        return x.mul(a).add_(b).clamp_(zero, one);
    }

    private static Tensor Flatten(Tensor x, long axis)
    {
        if (axis < 0) axis += x.dim();
        var outer = x.shape[..(int)axis].Aggregate(1L, (a, b) => a * b);
        return x.reshape(outer, -1);
    }

    private static Tensor Reshape(Tensor x, Tensor shape)
    {
        var target = shape.data<long>().ToArray();
        for (var i = 0; i < target.Length; i++)
        {
            if (target[i] == 0) target[i] = x.shape[i]; // ONNX: 0 copies the input's dimension
        }
        return x.reshape(target);
    }

    private static Tensor Gemm(OnnxNodeSpec node, Tensor a, Tensor b, Tensor? c)
    {
        if (node.Int("transA", 0) == 1) a = a.t();
        if (node.Int("transB", 0) == 1) b = b.t();
        using var alpha = node.Float("alpha", 1).ToScalar();
        var y = a.matmul(b).mul_(alpha);
        if (c is null) return y;
        using var beta = node.Float("beta", 1).ToScalar();
        return y.add_(c, beta);
    }

    private static Tensor Pad(OnnxNodeSpec node, Tensor x, Tensor? padsInput, Tensor? valueInput)
    {
        // ONNX: [x1_begin, x2_begin, …, x1_end, x2_end, …] over every axis; only the two spatial axes may be padded.
        var pads = padsInput?.data<long>().ToArray() ?? node.IntList("pads") ?? [];
        if (pads.Length != 8 || pads[0] != 0 || pads[1] != 0 || pads[4] != 0 || pads[5] != 0)
        {
            throw new NotSupportedException($"Pad {node.Name}: only padding of the two spatial axes of an image is supported.");
        }
        var value = valueInput?.item<float>() ?? node.Float("value", 0);
        var mode = (node.String("mode") ?? "constant") switch
        {
            "reflect" => PaddingModes.Reflect,
            "edge" => PaddingModes.Replicate,
            _ => PaddingModes.Constant,
        };
        return F.pad(x, [pads[3], pads[7], pads[2], pads[6]], mode, value);
    }

    private static Tensor[] Split(OnnxNodeSpec node, Tensor x, Tensor? sizesInput)
    {
        var axis = node.Int("axis", 0);
        var sizes = sizesInput?.data<long>().ToArray() ?? node.IntList("split");
        return sizes is null ? x.chunk(node.Outputs.Count, axis) : x.split(sizes, axis);
    }
}
