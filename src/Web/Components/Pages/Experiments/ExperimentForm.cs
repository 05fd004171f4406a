using System.Globalization;
using TransferHub.Shared.Experiments;
using TransferHub.Shared.Training;
using TransferHub.Shared.Weights;
using TransferHub.Web.Features.Versions;

namespace TransferHub.Web.Components.Pages.Experiments;

/// <summary>A dataset version, or a transfer source: a finished run of a project, or imported weights (any project).</summary>
public sealed record ExperimentChoice(Guid Id, Guid ProjectId, string Label, string? Architecture = null, bool IsWeights = false);

/// <summary>
/// The new-experiment form of the Experiments page: what it offers (versions, sources), what it holds, and the rules between
/// them — a source fixes the architecture and turns the frozen-random control on, a source adds two arms, label shares are
/// percentages. Apart from the page so that unit tests read it.
/// </summary>
public sealed class ExperimentForm
{
    public IReadOnlyList<ExperimentChoice> Versions { get; private init; } = [];
    public IReadOnlyList<ExperimentChoice> Sources { get; private init; } = [];

    public string Name { get; set; } = "";
    public Guid VersionId { get; set; }
    public string Architecture { get; set; } = "small-cnn";
    public int Seeds { get; set; } = 3;
    public int ImageSize { get; set; } = 32;
    public int BatchSize { get; set; } = 32;
    public int? Steps { get; set; }
    public int? Epochs { get; set; }
    public int? MaxSeeds { get; set; }
    public double LearningRate { get; set; } = 1e-3;
    public double MinimumGain { get; set; } = 0.01;
    public double? HeadLearningRate { get; set; }
    public bool FindLearningRate { get; set; }
    public bool Augment { get; set; }
    public Guid? SourceId { get; set; }
    public string Fractions { get; set; } = "100";
    public bool Control { get; set; }

    /// <summary>Someone set the control by hand: picking a source no longer turns it on.</summary>
    public bool ControlTouched { get; set; }

    /// <summary>The form for these versions and sources: succeeded runs of the listed experiments, then imported weights.</summary>
    public static ExperimentForm For(IReadOnlyList<StartableVersion> versions, IReadOnlyList<ExperimentDto> experiments, IReadOnlyList<PretrainedWeightsDto> weights)
    {
        var choices = versions.Select(v => new ExperimentChoice(v.Id, v.ProjectId, $"{v.Project} / {v.Dataset} v{v.Number} ({v.ItemCount} items)")).ToList();
        var sources = experiments.SelectMany(e => e.Runs.Where(r => r.Status == RunStatus.Succeeded)
                .Select(r => new ExperimentChoice(r.Id, e.ProjectId, $"{e.Name} · {r.Arm} seed {r.Seed} (F1 {r.TestMacroF1:0.00})", e.Architecture)))
            .Concat(weights.Select(w => new ExperimentChoice(w.Id, Guid.Empty, $"Weights · {w.Name} ({w.Architecture})", w.Architecture, IsWeights: true)))
            .ToList();
        return new ExperimentForm { Versions = choices, Sources = sources, VersionId = choices.FirstOrDefault()?.Id ?? Guid.Empty };
    }

    public ExperimentChoice? Source => Sources.FirstOrDefault(s => s.Id == SourceId);

    /// <summary>The project of the chosen version (empty when none is chosen).</summary>
    public Guid ProjectId => Versions.FirstOrDefault(v => v.Id == VersionId)?.ProjectId ?? Guid.Empty;

    /// <summary>Baseline, then feature extraction and fine-tuning with a source, then the control when on.</summary>
    public int ArmCount => 1 + (SourceId is null ? 0 : 2) + (Control ? 1 : 0);

    /// <summary>"10, 25, 100" → 0.1, 0.25, 1; what does not parse becomes −1, for the service's validation to name.</summary>
    public IReadOnlyList<double> Shares() =>
        [.. Fractions.Split([',', ' ', ';'], StringSplitOptions.RemoveEmptyEntries)
            .Select(f => double.TryParse(f.TrimEnd('%'), NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v / 100 : -1)];

    public bool SharesValid => Shares().All(f => f is > 0 and <= 1);

    /// <summary>A source fixes the architecture: transfer arms train the source's, and the baseline the same one.</summary>
    public void PickSource(Guid? sourceId)
    {
        SourceId = sourceId;
        if (Source?.Architecture is { } architecture)
        {
            Architecture = architecture;
            // The control is the sanity reference for a transfer experiment: on unless someone turned it off.
            Control = Control || !ControlTouched;
        }
    }

    public void SetControl(bool on)
    {
        Control = on;
        ControlTouched = true;
    }

    /// <summary>The arms beside the baseline: feature extraction and fine-tuning from the source, and the frozen-random control.</summary>
    public IReadOnlyList<ArmRequest> Arms()
    {
        var source = Source;
        var (run, weights) = source is null ? (null, null) : source.IsWeights ? ((Guid?)null, (Guid?)source.Id) : (source.Id, null);
        List<ArmRequest> arms = source is null ? [] :
            [new("feature-extraction", TrainingStrategy.FeatureExtraction, run, weights), new("fine-tune", TrainingStrategy.FineTune, run, weights)];
        if (Control)
        {
            arms.Add(new ArmRequest("frozen-random", TrainingStrategy.FeatureExtraction, null));
        }
        return arms;
    }

    /// <summary>The request the form stands for; a fixed epoch count replaces the step budget.</summary>
    public CreateExperimentRequest ToRequest() =>
        new(Name, VersionId, Architecture, [.. Arms()], Seeds, Epochs, ImageSize, LearningRate, BatchSize, null, [.. Shares()], Augment,
            Steps: Epochs is null ? Steps : null, HeadLearningRate: HeadLearningRate, MinimumGain: MinimumGain,
            FindLearningRate: FindLearningRate, MaxSeeds: MaxSeeds);
}
