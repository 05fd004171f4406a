using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Onnx;
using TransferHub.Training.Models.Bert;
using static TorchSharp.torch;

namespace TransferHub.Training.Models.Onnx;

// The text models' graphs: token ids in, the same features and logits as TorchSharp's forward out.
public static partial class OnnxExport
{
    private const int ProbeTokens = 24;

    // Two rows of random real tokens, the second ending in padding, so the graph's padding mask is exercised.
    private static (double MaxAbs, double Relative, string Probe) CompareText(ClassifierModel model, byte[] onnx)
    {
        var (vocabulary, pad, positions) = model is TextBert bert
            ? (bert.Config.VocabSize, (long)bert.Config.PadTokenId, bert.Config.MaxPositions)
            : ((int)model.state_dict().First(kv => kv.Key.EndsWith("embedding.weight", StringComparison.Ordinal)).Value.shape[0], 0L, int.MaxValue);
        var tokens = Math.Min(ProbeTokens, positions);
        var random = new Random(0);
        var ids = new long[2 * tokens];
        for (var i = 0; i < ids.Length; i++)
        {
            var padding = i >= tokens && i - tokens >= tokens * 2 / 3;
            long id;
            do { id = random.Next(vocabulary); } while (id == pad);
            ids[i] = padding ? pad : id;
        }
        using var input = tensor(ids, [2, tokens]);
        var feed = NamedOnnxValue.CreateFromTensor(TextInput, new DenseTensor<long>(ids, [2, tokens]));
        var (maxAbs, relative) = Compare(model, onnx, input, feed);
        return (maxAbs, relative, $"2x{tokens} token ids");
    }

    private sealed partial class GraphWriter
    {
        private static string Ids => TextInput;

        /// <summary>text-bag: the mean of the tokens' embeddings over real tokens (id 0 is padding).</summary>
        public string TextBag() => MeanOverReal(Node("Gather", [Initializer("embedding.weight"), Ids]), RealTokens(0));

        /// <summary>text-cnn: convolutions of widths 3, 4, 5 over the embeddings, ReLU, max over time, concatenated.</summary>
        public string TextCnn()
        {
            var x = Node("Transpose", [Node("Gather", [Initializer("embedding.weight"), Ids])], Ints("perm", 0, 2, 1)); // [N, dim, L]
            List<string> pooled = [];
            foreach (var (conv, padding) in new[] { ("conv3", 1L), ("conv4", 2L), ("conv5", 2L) })
            {
                var convolved = Node("Conv", [x, Initializer($"{conv}.weight"), Initializer($"{conv}.bias")],
                    Ints("kernel_shape", State[$"{conv}.weight"].shape[2]), Ints("strides", 1), Ints("pads", padding, padding));
                // ReduceMax takes its axes as an attribute up to opset 17.
                pooled.Add(Node("ReduceMax", [Relu(convolved)], Ints("axes", 2), Int("keepdims", 0)));
            }
            return Node("Concat", pooled, Int("axis", 1));
        }

        /// <summary>text-bert under Hugging Face's names: embeddings, encoder layers with a padding mask, mean over real tokens.</summary>
        public string Bert(BertConfig config)
        {
            var eps = (float)config.LayerNormEps;
            var real = RealTokens(config.PadTokenId);
            var length = Node("Gather", [Node("Shape", [Ids]), Longs("index.tokens", [], 1)], Int("axis", 0));
            var positions = Node("Range", [Longs("range.start", [], 0), length, Longs("range.step", [], 1)]);
            var embedded = Node("Add", [
                Node("Add", [Node("Gather", [Initializer("embeddings.word_embeddings.weight"), Ids]), Node("Gather", [Initializer("embeddings.position_embeddings.weight"), positions])]),
                Node("Gather", [Initializer("embeddings.token_type_embeddings.weight"), Longs("range.start", [], 0)])]); // one segment
            var x = LayerNorm(embedded, "embeddings.LayerNorm", eps);
            // Padding keys get −10 000 before the softmax (exp underflows to exactly 0, as the −∞ of libtorch's mask).
            var mask = Node("Unsqueeze", [Node("Mul", [Node("Sub", [real, Scalar("one", 1)]), Scalar("mask.penalty", 10_000)]), Longs("axes.heads", [2], 1, 2)]);
            for (var i = 0; i < config.Layers; i++)
            {
                var p = $"encoder.layer.{i}";
                var attended = LayerNorm(Node("Add", [Linear(Attention(x, mask, $"{p}.attention.self", config), $"{p}.attention.output.dense"), x]), $"{p}.attention.output.LayerNorm", eps);
                var expanded = Gelu(Linear(attended, $"{p}.intermediate.dense"));
                x = LayerNorm(Node("Add", [Linear(expanded, $"{p}.output.dense"), attended]), $"{p}.output.LayerNorm", eps);
            }
            return MeanOverReal(x, real);
        }

        // softmax(QKᵀ/√d + mask)·V per head: [N, L, H] → [N, heads, L, d] and back.
        private string Attention(string x, string mask, string p, BertConfig config)
        {
            var split = Longs($"shape.heads{config.Heads}", [4], 0, 0, config.Heads, config.HeadDim);
            string Heads(string name, params long[] perm) => Node("Transpose", [Node("Reshape", [Linear(x, $"{p}.{name}"), split])], Ints("perm", perm));
            var q = Heads("query", 0, 2, 1, 3);
            var k = Heads("key", 0, 2, 3, 1);
            var v = Heads("value", 0, 2, 1, 3);
            var scores = Node("Add", [Node("Mul", [Node("MatMul", [q, k]), Scalar($"scale.{config.HeadDim}", 1 / MathF.Sqrt(config.HeadDim))]), mask]);
            var context = Node("MatMul", [Node("Softmax", [scores], Int("axis", -1)), v]);
            return Node("Reshape", [Node("Transpose", [context], Ints("perm", 0, 2, 1, 3)), Longs("shape.merge", [3], 0, 0, -1)]);
        }

        // A Linear over the last axis of a 3-D tensor: MatMul by the stored transpose, then the bias.
        private string Linear(string x, string prefix)
        {
            var transposed = $"{prefix}.weight.T";
            State.TryAdd(transposed, State[$"{prefix}.weight"].t());
            return Node("Add", [Node("MatMul", [x, Initializer(transposed)]), Initializer($"{prefix}.bias")]);
        }

        private string LayerNorm(string x, string prefix, float eps) =>
            Node("LayerNormalization", [x, Initializer($"{prefix}.weight"), Initializer($"{prefix}.bias")], Int("axis", -1), Float("epsilon", eps));

        // Exact GELU (opset 17 has no Gelu): x · ½ · (1 + erf(x / √2)).
        private string Gelu(string x) =>
            Node("Mul", [Node("Mul", [x, Scalar("half", 0.5f)]), Node("Add", [Node("Erf", [Node("Div", [x, Scalar("sqrt2", MathF.Sqrt(2))])]), Scalar("one", 1)])]);

        // 1 for real tokens, 0 for padding: [N, L] floats.
        private string RealTokens(long padId) =>
            Node("Cast", [Node("Not", [Node("Equal", [Ids, Longs($"pad.{padId}", [], padId)])])], Int("to", (long)TensorProto.Types.DataType.Float));

        // Σ x·w / max(Σ w, 1) over the tokens: [N, L, D] → [N, D], as the models' masked means.
        private string MeanOverReal(string x, string real)
        {
            var weights = Node("Unsqueeze", [real, Longs("axes.last", [1], -1)]);
            var sum = Node("ReduceSum", [Node("Mul", [x, weights]), Longs("axes.tokens", [1], 1)], Int("keepdims", 0));
            var count = Node("Max", [Node("ReduceSum", [weights, Longs("axes.tokens", [1], 1)], Int("keepdims", 0)), Scalar("one", 1)]);
            return Node("Div", [sum, count]);
        }

        // An int64 constant; dims [] is a scalar.
        private string Longs(string name, long[] dims, params long[] values)
        {
            if (_graph.Initializer.All(t => t.Name != name))
            {
                var proto = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Int64 };
                proto.Dims.AddRange(dims);
                proto.Int64Data.AddRange(values);
                _graph.Initializer.Add(proto);
            }
            return name;
        }
    }
}
