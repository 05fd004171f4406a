using System.Text;
using System.Text.Json;

namespace TransferHub.Tests.Support;

/// <summary>
/// A MobileNetV2 (timm's mobilenetv2_100) weights file as timm writes it — timm's tensor names and shapes, written from its
/// architecture definition (ds_r1_k3_s1_c16, ir_r2_k3_s2_e6_c24, ir_r3_k3_s2_e6_c32, ir_r4_k3_s2_e6_c64, ir_r3_k3_s1_e6_c96,
/// ir_r3_k3_s2_e6_c160, ir_r1_k3_s1_e6_c320; 1280 features) — with small deterministic values. Needs no TorchSharp, so the
/// e2e loopback Hub can serve it as a catalog model. Linked into the unit and e2e test projects.
/// </summary>
public static class TimmMobileNetV2File
{
    private static readonly (int Expand, int Channels, int Repeats)[] Stages = [(1, 16, 1), (6, 24, 2), (6, 32, 3), (6, 64, 4), (6, 96, 3), (6, 160, 3), (6, 320, 1)];

    /// <summary>Every tensor's name and shape, in timm's order.</summary>
    public static List<(string Name, long[] Shape)> Tensors(int classes)
    {
        var tensors = new List<(string, long[])> { ("conv_stem.weight", [32, 3, 3, 3]) };
        tensors.AddRange(Norm("bn1", 32));
        var input = 32;
        for (var stage = 0; stage < Stages.Length; stage++)
        {
            var (expand, channels, repeats) = Stages[stage];
            for (var i = 0; i < repeats; i++)
            {
                var p = $"blocks.{stage}.{i}";
                if (stage == 0)
                {
                    tensors.Add(($"{p}.conv_dw.weight", [input, 1, 3, 3]));
                    tensors.AddRange(Norm($"{p}.bn1", input));
                    tensors.Add(($"{p}.conv_pw.weight", [channels, input, 1, 1]));
                    tensors.AddRange(Norm($"{p}.bn2", channels));
                }
                else
                {
                    var mid = input * expand;
                    tensors.Add(($"{p}.conv_pw.weight", [mid, input, 1, 1]));
                    tensors.AddRange(Norm($"{p}.bn1", mid));
                    tensors.Add(($"{p}.conv_dw.weight", [mid, 1, 3, 3]));
                    tensors.AddRange(Norm($"{p}.bn2", mid));
                    tensors.Add(($"{p}.conv_pwl.weight", [channels, mid, 1, 1]));
                    tensors.AddRange(Norm($"{p}.bn3", channels));
                }
                input = channels;
            }
        }
        tensors.Add(("conv_head.weight", [1280, input, 1, 1]));
        tensors.AddRange(Norm("bn2", 1280));
        tensors.Add(("classifier.weight", [classes, 1280]));
        tensors.Add(("classifier.bias", [classes]));
        return tensors;
    }

    /// <summary>The safetensors bytes: convolution and linear weights drawn small and fixed, BatchNorm as initialised.</summary>
    public static byte[] Write(int classes)
    {
        var random = new Random(7);
        var header = new Dictionary<string, object> { ["__metadata__"] = new Dictionary<string, string> { ["format"] = "pt" } };
        using var data = new MemoryStream();
        foreach (var (name, shape) in Tensors(classes))
        {
            var count = shape.Aggregate(1L, (a, b) => a * b);
            var fanIn = shape.Length == 4 ? shape[1] * shape[2] * shape[3] : shape.Length == 2 ? shape[1] : 1;
            var start = data.Position;
            for (var i = 0; i < count; i++)
            {
                float value = name.EndsWith("running_var", StringComparison.Ordinal) || (name.Contains(".bn", StringComparison.Ordinal) || name.StartsWith("bn", StringComparison.Ordinal)) && name.EndsWith("weight", StringComparison.Ordinal) ? 1f
                    : name.EndsWith("weight", StringComparison.Ordinal) ? (float)((random.NextDouble() * 2 - 1) * Math.Sqrt(3.0 / fanIn)) : 0f;
                data.Write(BitConverter.GetBytes(value));
            }
            header[name] = new { dtype = "F32", shape, data_offsets = new[] { start, data.Position } };
        }
        var json = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(header));
        var padded = json.Concat(Enumerable.Repeat((byte)' ', (8 - json.Length % 8) % 8)).ToArray();
        using var file = new MemoryStream();
        file.Write(BitConverter.GetBytes((long)padded.Length));
        file.Write(padded);
        data.Position = 0;
        data.CopyTo(file);
        return file.ToArray();
    }

    private static IEnumerable<(string, long[])> Norm(string prefix, long channels) =>
        new[] { "weight", "bias", "running_mean", "running_var" }.Select(p => ($"{prefix}.{p}", new[] { channels }));
}
