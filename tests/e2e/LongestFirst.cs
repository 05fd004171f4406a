using Xunit.Abstractions;

[assembly: TestCollectionOrderer("TransferHub.Tests.E2E.LongestFirst", "TransferHub.Tests.E2E")]

namespace TransferHub.Tests.E2E;

/// <summary>
/// Starts the test classes that train for a minute or more first (longest processing time first), so the run does not
/// end with one of them alone on a half-idle machine: xUnit otherwise starts the classes in an arbitrary order, and a
/// CI run that happened to end on the two-node tests spent ~100 s on one core. Durations from a CI run's trx on
/// 2 cores; a class not listed starts after these, in name order.
/// </summary>
public sealed class LongestFirst : ITestCollectionOrderer
{
    private static readonly string[] Longest =
    [
        nameof(RemoteWorkerE2ETests), // ~115 s
        nameof(ExperimentE2ETests), // ~105 s
        nameof(SampleProjectE2ETests), // ~95 s
        nameof(TwoNodeE2ETests), // ~55-85 s
        nameof(AccessibilityE2ETests), // ~45 s
        nameof(ExperimentToolsE2ETests), // ~40 s
        nameof(LabelingE2ETests), // ~40 s
        nameof(PortalTests), // ~35 s
    ];

    public IEnumerable<ITestCollection> OrderTestCollections(IEnumerable<ITestCollection> testCollections) =>
        testCollections.OrderBy(Rank).ThenBy(c => c.DisplayName, StringComparer.Ordinal);

    // A class's own collection is named "Test collection for TransferHub.Tests.E2E.<Class>".
    private static int Rank(ITestCollection collection)
    {
        var index = Array.FindIndex(Longest, name => collection.DisplayName.EndsWith("." + name, StringComparison.Ordinal));
        return index < 0 ? Longest.Length : index;
    }
}
