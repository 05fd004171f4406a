using System.Text.Json;
using System.Text.Json.Serialization;

namespace TransferHub.Training.Models.Onnx;

/// <summary>
/// An imported ONNX graph as this product runs it: its nodes (operator, inputs, outputs, attributes), which
/// initializers are learned (and so live in the weights file) and which are constants (kept here, they are small),
/// where the backbone ends (<see cref="FeatureOutput"/>) and what input the graph expects. Stored as JSON in the
/// metadata of every onnx-graph weights file, so the file alone rebuilds the model, with or without its values.
/// <see cref="FeatureRank"/> is the rank of the feature value at the declared input (4: a feature map, pooled; 2: flat).
/// </summary>
public sealed record OnnxGraphSpec(
    OnnxInputSpec Input,
    IReadOnlyList<OnnxNodeSpec> Nodes,
    IReadOnlyList<OnnxLearnedSpec> Learned,
    IReadOnlyList<OnnxConstantSpec> Constants,
    string FeatureOutput,
    int FeatureDim,
    string GraphOutput,
    string? Parity = null,
    int FeatureRank = 4)
{
    public const string Architecture = "onnx-graph";
    public const string MetadataKey = "onnx_graph";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public static bool Applies(string architecture) => architecture.Equals(Architecture, StringComparison.OrdinalIgnoreCase);

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    /// <exception cref="InvalidDataException">Not a graph description this version can read.</exception>
    public static OnnxGraphSpec FromJson(string json)
    {
        try
        {
            return JsonSerializer.Deserialize<OnnxGraphSpec>(json, Json) ?? throw new InvalidDataException("The ONNX graph description is empty.");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"The ONNX graph description is not readable: {e.Message}", e);
        }
    }

    public static OnnxGraphSpec? FromMetadata(IReadOnlyDictionary<string, string> metadata) =>
        metadata.TryGetValue(MetadataKey, out var json) ? FromJson(json) : null;
}

/// <summary>
/// The image the graph takes, and how to get it from what the data loaders produce (RGB scaled to [0, 1], then
/// normalised with ImageNet's mean and std): the graph's input is <c>(pixel[order] × PixelScale − Mean) / Std</c>.
/// torchvision's convention (RGB, scale 1, ImageNet mean/std) needs no conversion.
/// </summary>
public sealed record OnnxInputSpec(string Name, int Channels, int Height, int Width, bool Bgr, double PixelScale, double[] Mean, double[] Std)
{
    public static readonly double[] ImageNetMean = [0.485, 0.456, 0.406];
    public static readonly double[] ImageNetStd = [0.229, 0.224, 0.225];

    public bool IsTorchvisionConvention =>
        !Bgr && PixelScale == 1 && Mean.SequenceEqual(ImageNetMean) && Std.SequenceEqual(ImageNetStd);
}

/// <summary>One node; attributes by kind (ints and floats as lists, a scalar as a one-element list).</summary>
public sealed record OnnxNodeSpec(
    string Op,
    string Name,
    IReadOnlyList<string> Inputs,
    IReadOnlyList<string> Outputs,
    IReadOnlyDictionary<string, long[]>? Ints = null,
    IReadOnlyDictionary<string, double[]>? Floats = null,
    IReadOnlyDictionary<string, string>? Strings = null)
{
    public long Int(string name, long fallback) => Ints?.GetValueOrDefault(name) is [var v] ? v : fallback;

    public long[]? IntList(string name) => Ints?.GetValueOrDefault(name);

    public double Float(string name, double fallback) => Floats?.GetValueOrDefault(name) is [var v] ? v : fallback;

    public string? String(string name) => Strings?.GetValueOrDefault(name);
}

/// <summary>What a learned tensor is for: its initial value when the graph trains from scratch depends on it.</summary>
public enum OnnxLearnedKind
{
    ConvWeight,
    LinearWeight,
    Bias,
    NormScale,
    NormShift,
    RunningMean,
    RunningVar,
}

/// <summary>A learned initializer: its ONNX name, its state-dict key (<c>b{Block}.{Key}</c>) and shape.</summary>
public sealed record OnnxLearnedSpec(string Name, string Key, int Block, long[] Dims, OnnxLearnedKind Kind)
{
    [JsonIgnore]
    public bool IsBuffer => Kind is OnnxLearnedKind.RunningMean or OnnxLearnedKind.RunningVar;
}

/// <summary>A small non-learned initializer or Constant node (a reshape's shape, a scalar): its values inline.</summary>
public sealed record OnnxConstantSpec(string Name, long[] Dims, double[]? Floats = null, long[]? Longs = null);
