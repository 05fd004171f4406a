using System.Runtime.InteropServices;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using TransferHub.Shared.Training;
using TransferHub.Training.Weights;
using static TorchSharp.torch;

namespace TransferHub.Training.Models.Onnx;

/// <summary>
/// An .onnx file → an onnx-graph weights file: the graph read and checked, run once at its declared input size (which
/// AveragePools are global, how wide the features are), compared with ONNX Runtime on the same random input, and
/// written as safetensors with the graph description in its metadata. A graph that does not reproduce ONNX Runtime
/// within <see cref="ParityTolerance"/> is refused.
/// </summary>
public static class OnnxWeightsImport
{
    /// <summary>The largest relative difference (max |Δ| over max |reference|) from ONNX Runtime accepted at import.</summary>
    public const double ParityTolerance = 1e-4;

    /// <exception cref="ArgumentException">The file cannot be imported faithfully; the message says why.</exception>
    public static WeightsInfo Import(string path, OnnxImportOptions options, string safetensorsOut)
    {
        Runtime.TorchRuntime.EnsureLoaded();
        using var lifetime = NewDisposeScope();
        var parsed = OnnxImport.Parse(path);
        var whole = OnnxImport.ReadWhole(parsed, options);
        var input = whole.Spec.Input;
        using var probeRandom = new Generator(0); // its own generator: the global one belongs to runs seeding beside us
        var probe = randn([1, input.Channels, input.Height, input.Width], generator: probeRandom);
        Dictionary<string, long[]> shapes;
        using (var wholeModel = new OnnxGraphModel(whole.Spec, 1))
        {
            wholeModel.eval();
            shapes = Run(() => wholeModel.Shapes(probe));
        }
        whole = whole with { Spec = WithGlobalPools(whole.Spec, shapes) };
        double maxAbs, relative;
        using (var wholeModel = new OnnxGraphModel(whole.Spec, 1))
        {
            OnnxImport.LoadValues(wholeModel, whole);
            wholeModel.eval();
            using var _ = no_grad();
            var ours = Run(() => wholeModel.Evaluate(probe, whole.Spec.GraphOutput)).data<float>().ToArray();
            var reference = OnnxRuntimeOutput(path, input, probe.data<float>().ToArray(), whole.Spec.GraphOutput);
            if (ours.Length != reference.Length)
            {
                throw new ArgumentException($"The imported graph gives {ours.Length} values where ONNX Runtime gives {reference.Length}.");
            }
            maxAbs = ours.Zip(reference, (a, b) => (double)Math.Abs(a - b)).DefaultIfEmpty().Max();
            relative = maxAbs / Math.Max(reference.Select(v => (double)Math.Abs(v)).DefaultIfEmpty().Max(), 1e-12);
        }
        if (!(relative <= ParityTolerance))
        {
            throw new ArgumentException($"The imported graph does not reproduce ONNX Runtime: {OnnxImport.Describe(maxAbs, relative, input)} (tolerance {ParityTolerance:G2}).");
        }

        var cut = OnnxImport.Read(parsed, options);
        var feature = shapes[cut.Spec.FeatureOutput];
        var featureDim = feature.Length == 4 ? feature[1] : feature.Skip(1).Aggregate(1L, (a, b) => a * b);
        var spec = WithGlobalPools(cut.Spec, shapes) with { FeatureDim = (int)featureDim, FeatureRank = feature.Length, Parity = OnnxImport.Describe(maxAbs, relative, input) };
        cut = cut with { Spec = spec };
        using var model = new OnnxGraphModel(spec, Math.Max(cut.HeadClasses, 1));
        OnnxImport.LoadValues(model, cut);
        ModelWeights.Export(model, OnnxGraphSpec.Architecture, safetensorsOut, new Dictionary<string, string> { [OnnxGraphSpec.MetadataKey] = spec.ToJson() });
        return new WeightsInfo(OnnxGraphSpec.Architecture, cut.HeadClasses, cut.Learned.Count, model.parameters().Sum(p => p.numel()), null, spec.Parity);
    }

    private static T Run<T>(Func<T> evaluate)
    {
        try
        {
            return evaluate();
        }
        catch (Exception e) when (e is ExternalException or NotSupportedException or InvalidDataException or ArgumentException)
        {
            throw new ArgumentException($"The graph does not run on a 1×3 image at its declared size: {e.Message}", e);
        }
    }

    // An AveragePool whose window is its whole input at the declared size is a global pool: so the model runs at any size.
    private static OnnxGraphSpec WithGlobalPools(OnnxGraphSpec spec, Dictionary<string, long[]> shapes) => spec with
    {
        Nodes = spec.Nodes.Select(n =>
            n.Op == "AveragePool" && shapes.TryGetValue(n.Inputs[0], out var s) && s.Length == 4
                && n.IntList("kernel_shape") is [var kh, var kw] && kh == s[2] && kw == s[3] && (n.IntList("pads") ?? [0]).All(p => p == 0)
                ? n with { Ints = new Dictionary<string, long[]>(n.Ints ?? new Dictionary<string, long[]>()) { ["th_global"] = [1] } }
                : n).ToList(),
    };

    private static float[] OnnxRuntimeOutput(string path, OnnxInputSpec input, float[] data, string output)
    {
        try
        {
            using var options = new SessionOptions { LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR };
            using var session = new InferenceSession(path, options);
            var tensor = new DenseTensor<float>(data, [1, input.Channels, input.Height, input.Width]);
            using var results = session.Run([NamedOnnxValue.CreateFromTensor(input.Name, tensor)], [output]);
            return results.First().AsEnumerable<float>().ToArray();
        }
        catch (OnnxRuntimeException e)
        {
            throw new ArgumentException($"ONNX Runtime cannot run the model: {e.Message}", e);
        }
    }
}
