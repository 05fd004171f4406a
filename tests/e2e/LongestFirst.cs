using TransferHub.Tests.Support;

[assembly: TestCollectionOrderer("TransferHub.Tests.E2E.LongestFirst", "TransferHub.Tests.E2E")]

namespace TransferHub.Tests.E2E;

/// <summary>
/// The classes that train for a minute or more start first: a CI run that happened to end on the two-node tests spent
/// ~100 s on one core.
/// </summary>
public sealed class LongestFirst() : LongestFirstOrderer(
    nameof(RemoteWorkerE2ETests), // ~115 s
    nameof(ExperimentE2ETests), // ~105 s
    nameof(SampleProjectE2ETests), // ~95 s
    nameof(TwoNodeE2ETests), // ~55-85 s
    nameof(AccessibilityE2ETests), // ~45 s
    nameof(ExperimentToolsE2ETests), // ~40 s
    nameof(LabelingE2ETests), // ~40 s
    nameof(PortalTests)); // ~35 s
