using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using Google.Protobuf;
using Onnx;
using TransferHub.Shared.Training;
using TransferHub.Training.Weights;
using static TorchSharp.torch;

namespace TransferHub.Training.Models.Onnx;

/// <summary>What an import found: the graph description, the tensors keyed as the model's state dict, the source head's classes.</summary>
public sealed record OnnxImported(OnnxGraphSpec Spec, IReadOnlyDictionary<string, float[]> Learned, float[]? HeadWeight, float[]? HeadBias, int HeadClasses);

/// <summary>
/// Reads an ONNX image model (the schema through OnnxSharp's Google.Protobuf classes) into an <see cref="OnnxGraphSpec"/>
/// and its learned values, refusing with a message anything this product cannot run faithfully: not ONNX, external data,
/// an unsupported or foreign-domain operator, a cycle or an undefined value, a huge initializer, or an input that is not
/// an image.
/// </summary>
public static partial class OnnxImport
{
    /// <summary>The largest initializer accepted (2²⁸ floats, 1 GiB): a file claiming more is refused before anything is allocated.</summary>
    public const long MaxInitializerElements = 1L << 28;

    /// <summary>Non-learned constants travel in the metadata, so they must stay small.</summary>
    public const long MaxConstantElements = 1L << 20;

    private static readonly HashSet<string> WeightedOps = new(StringComparer.Ordinal) { "Conv", "Gemm", "MatMul" };

    /// <summary>Whether the file starts like a serialized ModelProto (field 1, ir_version, as a varint).</summary>
    public static bool LooksLikeOnnx(string path)
    {
        using var file = File.OpenRead(path);
        return file.ReadByte() == 0x08;
    }

    /// <exception cref="ArgumentException">The file cannot be imported; the message says why.</exception>
    public static OnnxImported Read(string path, OnnxImportOptions options) => Read(Parse(path), options);

    /// <summary>As <see cref="Read(string, OnnxImportOptions)"/> for a model already parsed (an import reads it twice: whole, then cut).</summary>
    public static OnnxImported Read(ModelProto model, OnnxImportOptions options)
    {
        var graph = model.Graph;
        RefuseForeign(graph);
        var initializers = graph.Initializer.ToDictionary(t => t.Name, StringComparer.Ordinal);
        var input = ImageInput(graph, initializers, options);
        var constants = new List<OnnxConstantSpec>();
        foreach (var node in graph.Node.Where(n => n.OpType == "Constant"))
        {
            var value = node.Attribute.FirstOrDefault(a => a.Name == "value")?.T
                ?? throw new ArgumentException($"Constant node {node.Name} has no tensor value.");
            constants.Add(Constant(node.Output[0], value));
        }
        var nodes = Sorted(graph, initializers.Keys, input.Name);
        var roles = LearnedRoles(nodes, initializers);
        var graphOutput = graph.Output[0].Name;
        var (feature, head) = FeatureCut(nodes, initializers, graphOutput, options.FeatureOutput);
        var needed = Ancestors(nodes, feature);
        var blockOf = Blocks(nodes.Where(n => needed.Contains(n)).ToList(), roles);

        var learned = new List<OnnxLearnedSpec>();
        var values = new Dictionary<string, float[]>(StringComparer.Ordinal);
        var keys = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (name, kind) in roles)
        {
            var tensor = initializers[name];
            if (!blockOf.TryGetValue(name, out var block))
            {
                continue; // only the head (or nodes past the cut) use it
            }
            var key = UniqueKey(name, keys);
            learned.Add(new OnnxLearnedSpec(name, key, block, [.. tensor.Dims], kind));
            values[$"b{block}.{key}"] = Floats(tensor);
        }
        foreach (var (name, tensor) in initializers.Where(kv => !roles.ContainsKey(kv.Key) && Uses(nodes, needed, kv.Key)))
        {
            constants.Add(Constant(name, tensor));
        }
        if (constants.Sum(c => c.Dims.Aggregate(1L, (a, b) => a * b)) > MaxConstantElements)
        {
            throw new ArgumentException("The graph's non-learned constants are larger than 2²⁰ values; such a graph is not supported.");
        }
        var specNodes = nodes.Where(n => needed.Contains(n) && n.OpType != "Constant").Select(ToSpec).ToList();
        var spec = new OnnxGraphSpec(input, specNodes, learned, constants, feature, 0, feature);
        float[]? headWeight = null, headBias = null;
        var classes = 0;
        if (head is not null)
        {
            (headWeight, headBias, classes) = Head(head, initializers);
        }
        return new OnnxImported(spec, values, headWeight, headBias, classes);
    }

    /// <summary>The whole graph (every node up to the graph's output), for the parity check against ONNX Runtime.</summary>
    public static OnnxImported ReadWhole(ModelProto model, OnnxImportOptions options) =>
        Read(model, options with { FeatureOutput = model.Graph.Output[0].Name });

    /// <exception cref="ArgumentException">Not an ONNX model.</exception>
    public static ModelProto Parse(string path)
    {
        ModelProto model;
        try
        {
            using var file = File.OpenRead(path);
            model = ModelProto.Parser.ParseFrom(file);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new ArgumentException($"Not an ONNX model: {e.Message}", e);
        }
        if (model.Graph is null || model.Graph.Node.Count == 0 || model.Graph.Output.Count == 0)
        {
            throw new ArgumentException("Not an ONNX model: the file holds no graph with nodes and an output.");
        }
        return model;
    }

    private static void RefuseForeign(GraphProto graph)
    {
        var external = graph.Initializer.Where(t => t.DataLocation == TensorProto.Types.DataLocation.External || t.ExternalData.Count > 0).Select(t => t.Name).ToList();
        if (external.Count > 0)
        {
            throw new ArgumentException($"The model keeps {external.Count} initializers in external data files ({string.Join(", ", external.Take(3))}…); save it as one file (onnx.save_model(..., save_as_external_data=False)).");
        }
        var unsupported = graph.Node
            .Where(n => !string.IsNullOrEmpty(n.Domain) && n.Domain != "ai.onnx" || !OnnxOps.Supported.Contains(n.OpType))
            .Select(n => string.IsNullOrEmpty(n.Domain) ? n.OpType : $"{n.Domain}.{n.OpType}")
            .Distinct().ToList();
        if (unsupported.Count > 0)
        {
            throw new ArgumentException($"Unsupported ONNX operator{(unsupported.Count > 1 ? "s" : "")}: {string.Join(", ", unsupported)}. Supported: {string.Join(", ", OnnxOps.Supported.Order())}.");
        }
        foreach (var t in graph.Initializer)
        {
            var elements = t.Dims.Aggregate(1.0, (a, b) => a * Math.Max(b, 0));
            if (elements > MaxInitializerElements)
            {
                throw new ArgumentException($"Initializer {t.Name} claims {elements:0} elements; the limit is {MaxInitializerElements}.");
            }
        }
    }

    private static OnnxInputSpec ImageInput(GraphProto graph, Dictionary<string, TensorProto> initializers, OnnxImportOptions options)
    {
        var inputs = graph.Input.Where(i => !initializers.ContainsKey(i.Name)).ToList();
        if (inputs.Count != 1)
        {
            throw new ArgumentException($"The graph takes {inputs.Count} inputs; an image model takes one ([N, 3, H, W]).");
        }
        var dims = inputs[0].Type?.TensorType?.Shape?.Dim.Select(d => d.HasDimValue ? d.DimValue : 0).ToArray() ?? [];
        if (dims.Length != 4)
        {
            throw new ArgumentException($"The graph's input {inputs[0].Name} has rank {dims.Length}; an image model takes [N, 3, H, W].");
        }
        if (dims[1] != 3)
        {
            throw new ArgumentException($"The graph's input {inputs[0].Name} has {dims[1]} channels; images here are RGB (3).");
        }
        var mean = options.Mean ?? OnnxInputSpec.ImageNetMean;
        var std = options.Std ?? OnnxInputSpec.ImageNetStd;
        if (mean.Length != 3 || std.Length != 3 || std.Any(s => s <= 0) || options.PixelScale <= 0)
        {
            throw new ArgumentException("Input normalisation takes three means, three positive stds and a positive pixel scale.");
        }
        return new OnnxInputSpec(inputs[0].Name, 3, (int)(dims[2] > 0 ? dims[2] : 224), (int)(dims[3] > 0 ? dims[3] : 224), options.Bgr, options.PixelScale, mean, std);
    }

    // Kahn's algorithm: every input must come from the graph input, an initializer, a Constant node or an earlier node.
    private static List<NodeProto> Sorted(GraphProto graph, IEnumerable<string> initializers, string input)
    {
        var available = new HashSet<string>(initializers, StringComparer.Ordinal) { input, "" };
        var producers = graph.Node.SelectMany(n => n.Output).ToHashSet(StringComparer.Ordinal);
        var undefined = graph.Node.SelectMany(n => n.Input).Where(i => !available.Contains(i) && !producers.Contains(i)).Distinct().ToList();
        if (undefined.Count > 0)
        {
            throw new ArgumentException($"The graph uses values nothing defines: {string.Join(", ", undefined.Take(5))}.");
        }
        var pending = graph.Node.ToList();
        var sorted = new List<NodeProto>(pending.Count);
        while (pending.Count > 0)
        {
            var ready = pending.Where(n => n.Input.All(available.Contains)).ToList();
            if (ready.Count == 0)
            {
                throw new ArgumentException($"The graph has a cycle through {string.Join(", ", pending.Take(3).Select(n => string.IsNullOrEmpty(n.Name) ? n.OpType : n.Name))}.");
            }
            foreach (var n in ready)
            {
                sorted.Add(n);
                available.UnionWith(n.Output);
                pending.Remove(n);
            }
        }
        return sorted;
    }

    private static Dictionary<string, OnnxLearnedKind> LearnedRoles(List<NodeProto> nodes, Dictionary<string, TensorProto> initializers)
    {
        var roles = new Dictionary<string, OnnxLearnedKind>(StringComparer.Ordinal);
        void Mark(NodeProto node, int input, OnnxLearnedKind kind)
        {
            if (input < node.Input.Count && initializers.TryGetValue(node.Input[input], out var t) && t.DataType == (int)TensorProto.Types.DataType.Float)
            {
                roles.TryAdd(node.Input[input], kind);
            }
        }
        foreach (var node in nodes)
        {
            switch (node.OpType)
            {
                case "Conv":
                    Mark(node, 1, OnnxLearnedKind.ConvWeight);
                    Mark(node, 2, OnnxLearnedKind.Bias);
                    break;
                case "Gemm":
                case "MatMul":
                    Mark(node, 1, OnnxLearnedKind.LinearWeight);
                    Mark(node, 2, OnnxLearnedKind.Bias);
                    break;
                case "BatchNormalization":
                    Mark(node, 1, OnnxLearnedKind.NormScale);
                    Mark(node, 2, OnnxLearnedKind.NormShift);
                    Mark(node, 3, OnnxLearnedKind.RunningMean);
                    Mark(node, 4, OnnxLearnedKind.RunningVar);
                    break;
            }
        }
        return roles;
    }

    // The backbone ends at the chosen value, else at the input of a final Gemm/MatMul head, else at the graph's output.
    private static (string Feature, NodeProto? Head) FeatureCut(List<NodeProto> nodes, Dictionary<string, TensorProto> initializers, string graphOutput, string? chosen)
    {
        var last = nodes.LastOrDefault(n => n.OpType is "Gemm" or "MatMul" && n.Input.Count > 1 && initializers.ContainsKey(n.Input[1]));
        var head = last is not null && last.Output[0] == graphOutput ? last : null;
        if (chosen is not null)
        {
            if (!nodes.Any(n => n.Output.Contains(chosen)))
            {
                throw new ArgumentException($"No node computes '{chosen}'; pick the feature output among the graph's values.");
            }
            return (chosen, head is not null && head.Input[0] == chosen ? head : null);
        }
        return last is not null ? (last.Input[0], head) : (graphOutput, null);
    }

    private static HashSet<NodeProto> Ancestors(List<NodeProto> nodes, string output)
    {
        var producer = nodes.SelectMany(n => n.Output.Select(o => (o, n))).ToDictionary(p => p.o, p => p.n, StringComparer.Ordinal);
        var needed = new HashSet<NodeProto>();
        var stack = new Stack<string>([output]);
        while (stack.TryPop(out var value))
        {
            if (producer.TryGetValue(value, out var node) && needed.Add(node))
            {
                foreach (var i in node.Input) stack.Push(i);
            }
        }
        return needed;
    }

    // The stem is the first weighted node; the rest split in four runs of equal count. A norm joins the block of the
    // weighted node before it.
    private static Dictionary<string, int> Blocks(List<NodeProto> nodes, Dictionary<string, OnnxLearnedKind> roles)
    {
        var weighted = nodes.Count(n => WeightedOps.Contains(n.OpType));
        var blockOf = new Dictionary<string, int>(StringComparer.Ordinal);
        int seen = 0, block = 0;
        foreach (var node in nodes)
        {
            if (WeightedOps.Contains(node.OpType))
            {
                block = seen == 0 || weighted <= 1 ? 0 : 1 + (int)((seen - 1) * 4L / Math.Max(1, weighted - 1));
                seen++;
            }
            foreach (var i in node.Input.Where(roles.ContainsKey)) blockOf.TryAdd(i, block);
        }
        return blockOf;
    }

    private static bool Uses(List<NodeProto> nodes, HashSet<NodeProto> needed, string name) =>
        nodes.Any(n => needed.Contains(n) && n.Input.Contains(name));

    private static string UniqueKey(string name, HashSet<string> used)
    {
        var key = Unsafe().Replace(name, "_");
        if (key.Length == 0 || char.IsDigit(key[0])) key = "t" + key;
        var unique = key;
        for (var i = 2; !used.Add(unique); i++) unique = $"{key}_{i}";
        return unique;
    }

    [GeneratedRegex("[^A-Za-z0-9_]")]
    private static partial Regex Unsafe();

    private static (float[] Weight, float[]? Bias, int Classes) Head(NodeProto head, Dictionary<string, TensorProto> initializers)
    {
        var w = initializers[head.Input[1]];
        var values = Floats(w);
        var transposed = head.OpType == "Gemm" && head.Attribute.FirstOrDefault(a => a.Name == "transB")?.I == 1;
        var (rows, cols) = ((int)w.Dims[0], (int)w.Dims[1]);
        var classes = transposed ? rows : cols;
        var alpha = head.Attribute.FirstOrDefault(a => a.Name == "alpha") is { } alphaAttribute ? alphaAttribute.F : 1f;
        var weight = new float[values.Length];
        for (var r = 0; r < rows; r++)
            for (var c = 0; c < cols; c++)
                weight[transposed ? r * cols + c : c * rows + r] = values[r * cols + c] * alpha; // fc.weight is [classes, features]
        float[]? bias = null;
        if (head.Input.Count > 2 && initializers.TryGetValue(head.Input[2], out var b) && b.Dims.Aggregate(1L, (x, y) => x * y) == classes)
        {
            var beta = head.Attribute.FirstOrDefault(a => a.Name == "beta") is { } betaAttribute ? betaAttribute.F : 1f;
            bias = Floats(b).Select(v => v * beta).ToArray();
        }
        return (weight, bias, classes);
    }

    private static OnnxNodeSpec ToSpec(NodeProto node)
    {
        Dictionary<string, long[]>? ints = null;
        Dictionary<string, double[]>? floats = null;
        Dictionary<string, string>? strings = null;
        foreach (var a in node.Attribute)
        {
            switch (a.Type)
            {
                case AttributeProto.Types.AttributeType.Int: (ints ??= [])[a.Name] = [a.I]; break;
                case AttributeProto.Types.AttributeType.Ints: (ints ??= [])[a.Name] = [.. a.Ints]; break;
                case AttributeProto.Types.AttributeType.Float: (floats ??= [])[a.Name] = [a.F]; break;
                case AttributeProto.Types.AttributeType.Floats: (floats ??= [])[a.Name] = [.. a.Floats.Select(f => (double)f)]; break;
                case AttributeProto.Types.AttributeType.String: (strings ??= [])[a.Name] = a.S.ToStringUtf8(); break;
            }
        }
        return new OnnxNodeSpec(node.OpType, node.Name, [.. node.Input], [.. node.Output], ints, floats, strings);
    }

    private static OnnxConstantSpec Constant(string name, TensorProto t) =>
        t.DataType == (int)TensorProto.Types.DataType.Int64
            ? new OnnxConstantSpec(name, [.. t.Dims], Longs: t.Int64Data.Count > 0 ? [.. t.Int64Data] : MemoryMarshal.Cast<byte, long>(t.RawData.Span).ToArray())
            : new OnnxConstantSpec(name, [.. t.Dims], Floats: Floats(t).Select(v => (double)v).ToArray());

    /// <summary>A float (or double) initializer's values, checked against its declared shape.</summary>
    internal static float[] Floats(TensorProto t)
    {
        var count = t.Dims.Aggregate(1L, (a, b) => a * b);
        float[] values = (TensorProto.Types.DataType)t.DataType switch
        {
            TensorProto.Types.DataType.Float => t.FloatData.Count > 0 ? [.. t.FloatData] : MemoryMarshal.Cast<byte, float>(t.RawData.Span).ToArray(),
            TensorProto.Types.DataType.Double => t.DoubleData.Count > 0
                ? t.DoubleData.Select(d => (float)d).ToArray()
                : MemoryMarshal.Cast<byte, double>(t.RawData.Span).ToArray().Select(d => (float)d).ToArray(),
            var other => throw new ArgumentException($"Initializer {t.Name} is {other}; learned values must be float32."),
        };
        if (values.Length != count)
        {
            throw new ArgumentException($"Initializer {t.Name} declares {count} values but holds {values.Length}.");
        }
        return values;
    }

    internal static string Describe(double maxAbs, double relative, OnnxInputSpec input) =>
        string.Create(CultureInfo.InvariantCulture, $"max |Δ| {maxAbs:G3}, relative {relative:G3} vs ONNX Runtime at 1×3×{input.Height}×{input.Width}");

    /// <summary>Loads <paramref name="imported"/>'s learned values (and head, when it has one and the model's class count matches) into a model of its spec.</summary>
    internal static void LoadValues(OnnxGraphModel model, OnnxImported imported)
    {
        using var scope = NewDisposeScope();
        var state = model.state_dict();
        using (no_grad())
        {
            foreach (var (key, values) in imported.Learned)
            {
                var target = state[key];
                target.copy_(tensor(values, target.shape));
            }
            if (imported.HeadWeight is not null && imported.HeadClasses == model.NumClasses)
            {
                state["fc.weight"].copy_(tensor(imported.HeadWeight, state["fc.weight"].shape));
                if (imported.HeadBias is not null) state["fc.bias"].copy_(tensor(imported.HeadBias));
                else state["fc.bias"].zero_();
            }
        }
    }
}
