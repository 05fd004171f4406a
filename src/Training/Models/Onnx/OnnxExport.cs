using System.Runtime.InteropServices;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Onnx;
using static TorchSharp.torch;
using Tensor = TorchSharp.torch.Tensor;

namespace TransferHub.Training.Models.Onnx;

/// <summary>An exported model and how closely ONNX Runtime reproduces the TorchSharp model on the same input.</summary>
/// <param name="Probe">The input both ran on, in words ("2x3x32x32 images", "2x24 token ids").</param>
public sealed record OnnxExported(byte[] Model, double MaxAbsDifference, double RelativeDifference, string Probe);

/// <summary>
/// Writes our classifiers as ONNX (opset 17, dynamic batch): the graph is written from the architecture's structure and
/// state-dict names (small-cnn, ResNet-18/34/50, MobileNetV2, EfficientNet-B0, imported onnx-graph models; text-bag,
/// text-cnn, text-bert). An image model's input is the ImageNet-normalised RGB image it trained on; a text model's the
/// token ids its tokenizer writes (tokenizing stays outside the graph). Outputs: the logits and the penultimate features.
/// Each export is run next to the TorchSharp model by ONNX Runtime on the same random batch; a difference above
/// <see cref="Tolerance"/> refuses the export. TorchSharp itself cannot export ONNX.
/// </summary>
public static partial class OnnxExport
{
    public const double Tolerance = 1e-4;
    public const int Opset = 17;

    /// <summary>The graph's input: float images [batch, 3, height, width], or int64 token ids [batch, tokens].</summary>
    public const string ImageInput = "image", TextInput = "input_ids";

    public static bool Supports(string architecture) =>
        architecture is "small-cnn" or "small-cnn-16" or "resnet18" or "resnet34" or "resnet50" or "mobilenet-v2" or "efficientnet-b0"
            or "text-bag" or "text-cnn"
        || OnnxGraphSpec.Applies(architecture) || Bert.BertRecipe.Applies(architecture);

    /// <param name="imageSize">The image size of the check (text models ignore it).</param>
    /// <param name="metadata">Written as the model's metadata_props (the weights' metadata: architecture, classes, a
    /// text-bert vocabulary), so the file alone can be served (<see cref="Serving.OnnxRuntimePredictor.FromOnnx"/>).</param>
    /// <exception cref="NotSupportedException">An architecture this writer does not know.</exception>
    /// <exception cref="InvalidDataException">ONNX Runtime does not reproduce the model.</exception>
    public static OnnxExported Export(ClassifierModel model, string architecture, int imageSize, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var state = model.state_dict();
        var graph = new GraphWriter(state);
        var features = architecture switch
        {
            "small-cnn" or "small-cnn-16" => graph.SmallCnn(),
            "resnet18" or "resnet34" => graph.ResNet(bottleneck: false),
            "resnet50" => graph.ResNet(bottleneck: true),
            "mobilenet-v2" => graph.MobileNetV2(Models.MobileNetV2.BlockStrides),
            "efficientnet-b0" => graph.EfficientNet(Models.EfficientNet.StageStrides),
            "text-bag" => graph.TextBag(),
            "text-cnn" => graph.TextCnn(),
            _ when model is OnnxGraphModel imported => graph.Imported(imported),
            _ when model is Bert.TextBert bert => graph.Bert(bert.Config),
            _ => throw new NotSupportedException($"ONNX export is not available for {architecture} (known: small-cnn, ResNet-18/34/50, MobileNetV2, EfficientNet-B0, imported ONNX graphs, text-bag, text-cnn, text-bert)."),
        };
        graph.Head(features, model.HeadPrefix);
        var text = ModelRegistry.IsText(architecture);
        var proto = graph.Model(architecture, model.NumClasses, text);
        foreach (var (key, value) in metadata ?? new Dictionary<string, string>())
        {
            proto.MetadataProps.Add(new StringStringEntryProto { Key = key, Value = value });
        }
        var bytes = proto.ToByteArray();
        var (maxAbs, relative, probe) = text ? CompareText(model, bytes) : CompareImage(model, bytes, imageSize);
        if (!(relative <= Tolerance))
        {
            throw new InvalidDataException($"ONNX Runtime does not reproduce the exported {architecture}: max |Δ| {maxAbs:G3}, relative {relative:G3}.");
        }
        return new OnnxExported(bytes, maxAbs, relative, probe);
    }

    private static (double MaxAbs, double Relative, string Probe) CompareImage(ClassifierModel model, byte[] onnx, int imageSize)
    {
        using var scope = NewDisposeScope();
        using var probeRandom = new Generator(0); // its own generator: the global one belongs to runs seeding beside us
        var input = randn([2, 3, imageSize, imageSize], generator: probeRandom); // two: the batch dimension is dynamic
        var feed = NamedOnnxValue.CreateFromTensor(ImageInput, new DenseTensor<float>(input.data<float>().ToArray(), [2, 3, imageSize, imageSize]));
        var (maxAbs, relative) = Compare(model, onnx, input, feed);
        return (maxAbs, relative, $"2x3x{imageSize}x{imageSize} images");
    }

    private static (double MaxAbs, double Relative) Compare(ClassifierModel model, byte[] onnx, Tensor input, NamedOnnxValue feed)
    {
        model.eval();
        float[] ours;
        using (no_grad())
        using (var logits = model.forward(input))
        {
            ours = logits.data<float>().ToArray();
        }
        using var options = new SessionOptions { LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR };
        using var session = new InferenceSession(onnx, options);
        using var results = session.Run([feed]);
        var reference = results.First(r => r.Name == "logits").AsEnumerable<float>().ToArray();
        var maxAbs = ours.Zip(reference, (a, b) => (double)Math.Abs(a - b)).Max();
        return (maxAbs, maxAbs / Math.Max(reference.Max(v => Math.Abs((double)v)), 1e-12));
    }

    /// <summary>Builds the graph node by node; tensors come from the state dict by name.</summary>
    private sealed partial class GraphWriter(Dictionary<string, Tensor> state)
    {
        private readonly GraphProto _graph = new() { Name = "transferhub" };
        private Dictionary<string, Tensor> State => state; // for the other part of this class
        private int _next;

        private string Fresh(string hint) => $"{hint}_{_next++}";

        private string Initializer(string key)
        {
            if (_graph.Initializer.Any(t => t.Name == key)) return key;
            var value = state[key].detach().cpu().to_type(ScalarType.Float32).contiguous();
            var proto = new TensorProto { Name = key, DataType = (int)TensorProto.Types.DataType.Float };
            proto.Dims.AddRange(value.shape);
            proto.RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(value.data<float>().ToArray().AsSpan()));
            _graph.Initializer.Add(proto);
            return key;
        }

        private string Node(string op, IEnumerable<string> inputs, params AttributeProto[] attributes)
        {
            var output = Fresh(op.ToLowerInvariant());
            var node = new NodeProto { OpType = op, Name = output };
            node.Input.AddRange(inputs);
            node.Output.Add(output);
            node.Attribute.AddRange(attributes);
            _graph.Node.Add(node);
            return output;
        }

        private string Conv(string x, string prefix, long stride, long padding, long groups = 1)
        {
            var weight = state[$"{prefix}.weight"];
            List<string> inputs = [x, Initializer($"{prefix}.weight")];
            if (state.ContainsKey($"{prefix}.bias")) inputs.Add(Initializer($"{prefix}.bias"));
            return Node("Conv", inputs, Ints("kernel_shape", weight.shape[2], weight.shape[3]), Ints("strides", stride, stride),
                Ints("pads", padding, padding, padding, padding), Int("group", groups));
        }

        private string Norm(string x, string prefix) =>
            Node("BatchNormalization", [x, Initializer($"{prefix}.weight"), Initializer($"{prefix}.bias"), Initializer($"{prefix}.running_mean"), Initializer($"{prefix}.running_var")],
                Float("epsilon", 1e-5f));

        private string Relu(string x) => Node("Relu", [x]);

        // Clip takes its bounds as inputs since opset 11.
        private string Relu6(string x) => Node("Clip", [x, Scalar("relu6.min", 0), Scalar("relu6.max", 6)]);

        private string SiLU(string x) => Node("Mul", [x, Node("Sigmoid", [x])]);

        private string Pooled(string x) => Node("Flatten", [Node("GlobalAveragePool", [x])], Int("axis", 1));

        private string Scalar(string name, float value)
        {
            if (_graph.Initializer.All(t => t.Name != name))
            {
                _graph.Initializer.Add(new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float, FloatData = { value } });
            }
            return name;
        }

        // A convolution ("same" padding, odd kernel) and its BatchNorm; a depthwise one has a group per channel.
        private string ConvNorm(string x, string conv, string norm, long stride, bool depthwise = false)
        {
            var weight = state[$"{conv}.weight"];
            return Norm(Conv(x, conv, stride, (weight.shape[2] - 1) / 2, depthwise ? weight.shape[0] : 1), norm);
        }

        private string Residual(string y, string x, long stride, long input, long output) => stride == 1 && input == output ? Node("Add", [y, x]) : y;

        /// <summary>torchvision's MobileNetV2: features.{i}.conv = [expand 1×1] → depthwise 3×3 → linear 1×1, ReLU6 between.</summary>
        public string MobileNetV2(IReadOnlyList<int> strides)
        {
            var x = Relu6(ConvNorm(Input, "features.0.0", "features.0.1", 2));
            for (var i = 1; i <= strides.Count; i++)
            {
                var p = $"features.{i}.conv";
                var expands = state.ContainsKey($"{p}.3.weight"); // conv.3 is the last BatchNorm only behind an expansion
                var d = expands ? 1 : 0;
                var y = expands ? Relu6(ConvNorm(x, $"{p}.0.0", $"{p}.0.1", 1)) : x;
                y = Relu6(ConvNorm(y, $"{p}.{d}.0", $"{p}.{d}.1", strides[i - 1], depthwise: true));
                y = ConvNorm(y, $"{p}.{d + 1}", $"{p}.{d + 2}", 1);
                var input = expands ? state[$"{p}.0.0.weight"].shape[1] : state[$"{p}.0.0.weight"].shape[0];
                x = Residual(y, x, strides[i - 1], input, state[$"{p}.{d + 1}.weight"].shape[0]);
            }
            return Pooled(Relu6(ConvNorm(x, $"features.{strides.Count + 1}.0", $"features.{strides.Count + 1}.1", 1)));
        }

        /// <summary>torchvision's EfficientNet-B0: features.{stage}.{i}.block = [expand] → depthwise → squeeze-excitation → linear, SiLU between.</summary>
        public string EfficientNet(IReadOnlyList<int> stageStrides)
        {
            var x = SiLU(ConvNorm(Input, "features.0.0", "features.0.1", 2));
            for (var stage = 1; stage <= stageStrides.Count; stage++)
            {
                for (var i = 0; state.ContainsKey($"features.{stage}.{i}.block.0.0.weight"); i++)
                {
                    var p = $"features.{stage}.{i}.block";
                    var expands = state.ContainsKey($"{p}.3.0.weight");
                    var d = expands ? 1 : 0;
                    var stride = i == 0 ? stageStrides[stage - 1] : 1;
                    var y = expands ? SiLU(ConvNorm(x, $"{p}.0.0", $"{p}.0.1", 1)) : x;
                    y = SiLU(ConvNorm(y, $"{p}.{d}.0", $"{p}.{d}.1", stride, depthwise: true));
                    var scale = Node("Sigmoid", [Conv(SiLU(Conv(Node("GlobalAveragePool", [y]), $"{p}.{d + 1}.fc1", 1, 0)), $"{p}.{d + 1}.fc2", 1, 0)]);
                    y = ConvNorm(Node("Mul", [y, scale]), $"{p}.{d + 2}.0", $"{p}.{d + 2}.1", 1);
                    var input = expands ? state[$"{p}.0.0.weight"].shape[1] : state[$"{p}.0.0.weight"].shape[0];
                    x = Residual(y, x, stride, input, state[$"{p}.{d + 2}.0.weight"].shape[0]); // stochastic depth is training only
                }
            }
            return Pooled(SiLU(ConvNorm(x, $"features.{stageStrides.Count + 1}.0", $"features.{stageStrides.Count + 1}.1", 1)));
        }

        private static string Input => ImageInput;

        public string SmallCnn()
        {
            var x = Input;
            foreach (var (block, pool) in new[] { ("block1", true), ("block2", true), ("block3", false) })
            {
                x = Relu(Norm(Conv(x, $"{block}.conv", 1, 1), $"{block}.bn"));
                if (pool) x = Node("MaxPool", [x], Ints("kernel_shape", 2, 2), Ints("strides", 2, 2));
            }
            return Node("Flatten", [Node("GlobalAveragePool", [x])], Int("axis", 1));
        }

        public string ResNet(bool bottleneck)
        {
            var x = Relu(Norm(Conv(Input, "conv1", 2, 3), "bn1"));
            x = Node("MaxPool", [x], Ints("kernel_shape", 3, 3), Ints("strides", 2, 2), Ints("pads", 1, 1, 1, 1));
            for (var layer = 1; layer <= 4; layer++)
            {
                for (var block = 0; state.ContainsKey($"layer{layer}.{block}.conv1.weight"); block++)
                {
                    var p = $"layer{layer}.{block}";
                    var stride = layer > 1 && block == 0 ? 2 : 1;
                    var identity = state.ContainsKey($"{p}.downsample.0.weight") ? Norm(Conv(x, $"{p}.downsample.0", stride, 0), $"{p}.downsample.1") : x;
                    var y = bottleneck
                        ? Norm(Conv(Relu(Norm(Conv(Relu(Norm(Conv(x, $"{p}.conv1", 1, 0), $"{p}.bn1")), $"{p}.conv2", stride, 1), $"{p}.bn2")), $"{p}.conv3", 1, 0), $"{p}.bn3")
                        : Norm(Conv(Relu(Norm(Conv(x, $"{p}.conv1", stride, 1), $"{p}.bn1")), $"{p}.conv2", 1, 1), $"{p}.bn2");
                    x = Relu(Node("Add", [y, identity]));
                }
            }
            return Node("Flatten", [Node("GlobalAveragePool", [x])], Int("axis", 1));
        }

        /// <summary>An imported graph: its input conversion, its nodes up to the feature cut, pooled and flattened as the model does.</summary>
        public string Imported(OnnxGraphModel model)
        {
            var spec = model.Spec;
            var x = Input;
            if (model.InputAffine is ({ } scale, { } shift))
            {
                // The model's own conversion (OnnxGraphModel.ToGraphInput): BGR reorder, then a per-channel scale and shift.
                if (spec.Input.Bgr)
                {
                    var order = new TensorProto { Name = "input.order", DataType = (int)TensorProto.Types.DataType.Int64 };
                    order.Dims.Add(3);
                    order.Int64Data.AddRange([2, 1, 0]);
                    _graph.Initializer.Add(order);
                    x = Node("Gather", [x, "input.order"], Int("axis", 1));
                }
                state["input.scale"] = scale;
                state["input.shift"] = shift;
                x = Node("Add", [Node("Mul", [x, Initializer("input.scale")]), Initializer("input.shift")]);
            }
            var renamed = new Dictionary<string, string>(StringComparer.Ordinal) { [spec.Input.Name] = x };
            var learned = spec.Learned.ToDictionary(l => l.Name, l => $"b{l.Block}.{l.Key}", StringComparer.Ordinal);
            foreach (var c in spec.Constants)
            {
                var proto = new TensorProto { Name = c.Name, DataType = (int)(c.Longs is null ? TensorProto.Types.DataType.Float : TensorProto.Types.DataType.Int64) };
                proto.Dims.AddRange(c.Dims);
                if (c.Longs is null) proto.FloatData.AddRange(c.Floats!.Select(v => (float)v));
                else proto.Int64Data.AddRange(c.Longs);
                _graph.Initializer.Add(proto);
            }
            foreach (var n in spec.Nodes)
            {
                var node = new NodeProto { OpType = n.Op, Name = n.Name };
                node.Input.AddRange(n.Inputs.Select(i => renamed.TryGetValue(i, out var r) ? r : learned.TryGetValue(i, out var key) ? Initializer(key) : i));
                node.Output.AddRange(n.Outputs);
                var global = n.Int("th_global", 0) == 1;
                if (global) node.OpType = "GlobalAveragePool";
                foreach (var (name, values) in n.Ints ?? new Dictionary<string, long[]>())
                    if (!global && name != "th_global") node.Attribute.Add(values.Length == 1 && !IsList(name) ? Int(name, values[0]) : Ints(name, values));
                if (!global)
                {
                    foreach (var (name, values) in n.Floats ?? new Dictionary<string, double[]>())
                        node.Attribute.Add(values.Length == 1 ? Float(name, (float)values[0]) : Floats(name, values));
                    foreach (var (name, value) in n.Strings ?? new Dictionary<string, string>())
                        node.Attribute.Add(new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.String, S = ByteString.CopyFromUtf8(value) });
                }
                _graph.Node.Add(node);
            }
            // As OnnxGraphModel.Features: a 4-D cut is pooled (a no-op on 1×1), then flattened.
            return spec.FeatureRank == 4
                ? Node("Flatten", [Node("GlobalAveragePool", [spec.FeatureOutput])], Int("axis", 1))
                : Node("Flatten", [spec.FeatureOutput], Int("axis", 1));
        }

        // Attributes ONNX defines as lists even when they hold one value.
        private static bool IsList(string name) => name is "kernel_shape" or "strides" or "pads" or "dilations" or "split" or "perm" or "axes";

        // The features get their own output (serving logs them for drift), then the head's logits.
        public void Head(string features, string head)
        {
            _graph.Node.Add(new NodeProto { OpType = "Identity", Name = "features", Input = { features }, Output = { "features" } });
            _graph.Node.Add(GemmNode("features", Initializer($"{head}.weight"), Initializer($"{head}.bias")));
        }

        private static NodeProto GemmNode(string x, string weight, string bias)
        {
            var node = new NodeProto { OpType = "Gemm", Name = "head" };
            node.Input.AddRange([x, weight, bias]);
            node.Output.Add("logits");
            node.Attribute.Add(Int("transB", 1));
            return node;
        }

        public ModelProto Model(string architecture, int classes, bool text)
        {
            _graph.Input.Add(text
                ? new ValueInfoProto { Name = TextInput, Type = TensorType(TensorProto.Types.DataType.Int64, "batch", "tokens") }
                : new ValueInfoProto { Name = ImageInput, Type = TensorType(TensorProto.Types.DataType.Float, "batch", 3, "height", "width") });
            _graph.Output.Add(new ValueInfoProto { Name = "logits", Type = TensorType(TensorProto.Types.DataType.Float, "batch", classes) });
            _graph.Output.Add(new ValueInfoProto { Name = "features", Type = TensorType(TensorProto.Types.DataType.Float, "batch", "features") });
            var model = new ModelProto
            {
                IrVersion = 8, ProducerName = "TransferHub", ProducerVersion = "1", Graph = _graph,
                DocString = text
                    ? $"{architecture}: input the token ids of the model's tokenizer (TransferHub's hashed words, or the WordPiece vocabulary in the weights' metadata for text-bert), padding trailing; outputs logits and the penultimate features."
                    : $"{architecture}: input RGB scaled to [0, 1] then normalised with ImageNet's mean (0.485, 0.456, 0.406) and std (0.229, 0.224, 0.225); outputs logits and the penultimate features.",
            };
            model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = Opset });
            return model;
        }

        private static TypeProto TensorType(TensorProto.Types.DataType type, params object[] dims)
        {
            var shape = new TensorShapeProto();
            foreach (var d in dims)
                shape.Dim.Add(d is string name ? new TensorShapeProto.Types.Dimension { DimParam = name } : new TensorShapeProto.Types.Dimension { DimValue = Convert.ToInt64(d) });
            return new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)type, Shape = shape } };
        }
    }

    private static AttributeProto Ints(string name, params long[] values)
    {
        var a = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        a.Ints.AddRange(values);
        return a;
    }

    private static AttributeProto Floats(string name, double[] values)
    {
        var a = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Floats };
        a.Floats.AddRange(values.Select(v => (float)v));
        return a;
    }

    private static AttributeProto Int(string name, long value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    private static AttributeProto Float(string name, float value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = value };
}
