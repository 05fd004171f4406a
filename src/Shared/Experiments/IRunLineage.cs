using System.Security.Claims;
using TransferHub.Shared.Training;

namespace TransferHub.Shared.Experiments;

/// <summary>
/// What registering a finished run needs to know of it: where it came from (experiment, arm, seed, data), how it was
/// trained (its plan), what it scored, where its weights are, and the hash of the weights it started from.
/// </summary>
/// <param name="RunId">The run.</param>
/// <param name="ExperimentId">Its experiment.</param>
/// <param name="ExperimentName">Its experiment's name.</param>
/// <param name="Arm">Its arm (baseline, or a transfer strategy).</param>
/// <param name="Seed">Its seed.</param>
/// <param name="Architecture">The architecture it trained.</param>
/// <param name="DatasetVersionId">The dataset version it trained on.</param>
/// <param name="DatasetVersionHash">That version's content hash; null when the dataset version it trained on was deleted since.</param>
/// <param name="Plan">How it was trained.</param>
/// <param name="TestMetrics">Its scores on the test split; null when it recorded none.</param>
/// <param name="ArmResult">The experiment's verdict for the run's arm, as the caller sees it.</param>
/// <param name="ModelKey">The artifact key of the run's trained weights.</param>
/// <param name="SourceWeightsSha256">The SHA-256 of the weights it was transferred from: a source run's, or imported weights'.</param>
public sealed record RunForRegistration(
    Guid RunId, Guid ExperimentId, string ExperimentName, string Arm, int Seed, string Architecture, Guid DatasetVersionId, string? DatasetVersionHash,
    RunPlan Plan, ClassificationMetrics? TestMetrics, ArmResultDto? ArmResult, string ModelKey, string? SourceWeightsSha256);

/// <summary>What the registry asks of the experiments its versions came from; the experiments feature answers.</summary>
public interface IRunLineage
{
    /// <summary>Each existing experiment's name; ids of deleted experiments are left out.</summary>
    Task<IReadOnlyDictionary<Guid, string>> ExperimentNamesAsync(IReadOnlyCollection<Guid> experimentIds, CancellationToken ct);

    /// <summary>A succeeded run of the project, for registration; ValidationFailed when there is none.</summary>
    Task<RunForRegistration> FinishedRunAsync(ClaimsPrincipal caller, Guid projectId, Guid runId, CancellationToken ct);
}
