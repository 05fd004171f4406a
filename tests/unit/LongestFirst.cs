using TransferHub.Tests.Support;
using TransferHub.Tests.Unit.Integration.Experiments;
using TransferHub.Tests.Unit.Training;

[assembly: TestCollectionOrderer("TransferHub.Tests.Unit.LongestFirst", "TransferHub.Tests.Unit")]

namespace TransferHub.Tests.Unit;

/// <summary>
/// The torch tests (one collection, one class at a time: ~90 s in all) and the experiment API tests (~40 s) start first:
/// started late in xUnit's arbitrary order, they ran alone at the end of the run with one core idle.
/// </summary>
public sealed class LongestFirst() : LongestFirstOrderer(TorchCollection.Name, nameof(ExperimentTests));
