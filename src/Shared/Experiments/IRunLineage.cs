namespace TransferHub.Shared.Experiments;

/// <summary>What the registry shows of the experiments its versions came from; the experiments feature answers.</summary>
public interface IRunLineage
{
    /// <summary>Each existing experiment's name; ids of deleted experiments are left out.</summary>
    Task<IReadOnlyDictionary<Guid, string>> ExperimentNamesAsync(IReadOnlyCollection<Guid> experimentIds, CancellationToken ct);
}
