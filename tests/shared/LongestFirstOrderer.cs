using Xunit.Abstractions;

namespace TransferHub.Tests.Support;

/// <summary>
/// Starts the named test classes (or shared collections) first, longest first (longest processing time first), so a run
/// does not end with one long class alone on a half-idle machine: xUnit otherwise starts the classes in an arbitrary
/// order. Classes not named start after these, in name order. Each test assembly names its own (durations from CI runs
/// on 2 cores).
/// </summary>
public abstract class LongestFirstOrderer(params string[] longest) : ITestCollectionOrderer
{
    public IEnumerable<ITestCollection> OrderTestCollections(IEnumerable<ITestCollection> testCollections) =>
        testCollections.OrderBy(Rank).ThenBy(c => c.DisplayName, StringComparer.Ordinal);

    // A class's own collection is named "Test collection for <namespace>.<Class>"; a shared one, by its definition.
    private int Rank(ITestCollection collection)
    {
        var index = Array.FindIndex(longest, name =>
            collection.DisplayName == name || collection.DisplayName.EndsWith("." + name, StringComparison.Ordinal));
        return index < 0 ? longest.Length : index;
    }
}
