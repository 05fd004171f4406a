using Google.Protobuf;
using Onnx;

namespace TransferHub.Tests.Support;

/// <summary>Small ONNX models written by the tests through the ONNX schema (OnnxSharp), the way an exporter writes them. Linked into the unit and e2e test projects.</summary>
public static class OnnxModels
{
    /// <summary>
    /// A residual CNN with an ImageNet-style head: Conv (asymmetric pads) → BatchNormalization → Relu → MaxPool
    /// (asymmetric pads) → Conv with bias → Add (residual) → HardSwish → Clip (bounds as inputs) → GlobalAveragePool → Flatten → Gemm (3 classes).
    /// </summary>
    public static ModelProto ResidualCnn(int size = 16, int seed = 1)
    {
        var random = new Random(seed);
        var graph = new GraphProto { Name = "residual-cnn" };
        graph.Input.Add(ImageInput("image", size));
        graph.Initializer.Add(Floats("conv1.w", [8, 3, 3, 3], random));
        graph.Initializer.Add(Floats("bn.scale", [8], random, 1));
        graph.Initializer.Add(Floats("bn.shift", [8], random));
        graph.Initializer.Add(Floats("bn.mean", [8], random));
        graph.Initializer.Add(Floats("bn.var", [8], random, 1, positive: true));
        graph.Initializer.Add(Floats("conv2.w", [8, 8, 3, 3], random));
        graph.Initializer.Add(Floats("conv2.b", [8], random));
        graph.Initializer.Add(Floats("fc.w", [3, 8], random));
        graph.Initializer.Add(Floats("fc.b", [3], random));
        graph.Initializer.Add(Scalar("clip.min", -1f));
        graph.Initializer.Add(Scalar("clip.max", 4f));
        graph.Node.Add(Node("Conv", ["image", "conv1.w"], ["c1"], Ints("pads", 1, 1, 0, 0), Ints("strides", 1, 1)));
        graph.Node.Add(Node("BatchNormalization", ["c1", "bn.scale", "bn.shift", "bn.mean", "bn.var"], ["n1"], Float("epsilon", 1e-5f)));
        graph.Node.Add(Node("Relu", ["n1"], ["r1"]));
        graph.Node.Add(Node("MaxPool", ["r1"], ["p1"], Ints("kernel_shape", 3, 3), Ints("strides", 2, 2), Ints("pads", 1, 1, 0, 0)));
        graph.Node.Add(Node("Conv", ["p1", "conv2.w", "conv2.b"], ["c2"], Ints("pads", 1, 1, 1, 1)));
        graph.Node.Add(Node("Add", ["c2", "p1"], ["a1"]));
        graph.Node.Add(Node("HardSwish", ["a1"], ["h1"]));
        graph.Node.Add(Node("Clip", ["h1", "clip.min", "clip.max"], ["k1"]));
        graph.Node.Add(Node("GlobalAveragePool", ["k1"], ["g1"]));
        graph.Node.Add(Node("Flatten", ["g1"], ["f1"], Int("axis", 1)));
        graph.Node.Add(Node("Gemm", ["f1", "fc.w", "fc.b"], ["logits"], Int("transB", 1)));
        graph.Output.Add(new ValueInfoProto { Name = "logits", Type = TensorType(1, 3) });
        return Model(graph, opset: 14);
    }

    public static ModelProto Model(GraphProto graph, int opset = 13)
    {
        var model = new ModelProto { IrVersion = 7, ProducerName = "transferhub-tests", Graph = graph };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = opset });
        return model;
    }

    public static void Save(ModelProto model, string path) => File.WriteAllBytes(path, model.ToByteArray());

    public static ValueInfoProto ImageInput(string name, int size) => new() { Name = name, Type = TensorType(1, 3, size, size) };

    public static TypeProto TensorType(params long[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (var d in dims) shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = d });
        return new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float, Shape = shape } };
    }

    public static TensorProto Floats(string name, long[] dims, Random random, float center = 0, bool positive = false)
    {
        var t = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float };
        t.Dims.AddRange(dims);
        var count = dims.Aggregate(1L, (a, b) => a * b);
        for (var i = 0; i < count; i++)
        {
            var v = (float)(random.NextDouble() - 0.5) * 0.6f;
            t.FloatData.Add(positive ? center + Math.Abs(v) : center + v);
        }
        return t;
    }

    public static TensorProto Scalar(string name, float value)
    {
        var t = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float };
        t.FloatData.Add(value);
        return t;
    }

    public static NodeProto Node(string op, string[] inputs, string[] outputs, params AttributeProto[] attributes)
    {
        var node = new NodeProto { OpType = op, Name = $"{op}_{outputs[0]}" };
        node.Input.AddRange(inputs);
        node.Output.AddRange(outputs);
        node.Attribute.AddRange(attributes);
        return node;
    }

    public static AttributeProto Ints(string name, params long[] values)
    {
        var a = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        a.Ints.AddRange(values);
        return a;
    }

    public static AttributeProto Int(string name, long value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    public static AttributeProto Float(string name, float value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = value };
}
