using System.Text.Json;
using System.Text.Json.Serialization;
using TransferHub.Shared.Training;

namespace TransferHub.Shared.Experiments;

/// <summary>What a run's worker needs besides the engine's spec: the version to train on and where the source model is
/// (a finished run's model, or imported weights), and the share of the training labels it trains on. With
/// <paramref name="SourceShapeOnly"/> the source only lends its shape (a text-bert baseline takes the source's config
/// and vocabulary, not its values).</summary>
public sealed record RunPlan(TrainingJobSpec Spec, Guid DatasetVersionId, int ImageSize, Guid? SourceRunId, Guid? SourceWeightsId = null, double LabelFraction = 1,
    bool SourceShapeOnly = false)
{
    /// <summary>Whether the run starts from a source model.</summary>
    public bool HasSource => SourceRunId is not null || SourceWeightsId is not null;
}

/// <summary>The JSON shape shared by the web, the database and remote workers (web defaults, enums as strings).</summary>
public static class WireJson
{
    /// <summary>Web defaults with enums as strings.</summary>
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };
}
