using TransferHub.Tests.Support;

[assembly: TestCollectionOrderer("TransferHub.Tests.E2E.LongestFirst", "TransferHub.Tests.E2E")]

namespace TransferHub.Tests.E2E;

/// <summary>
/// The longest classes start first: a CI run that happened to end on the two-node tests spent ~100 s on
/// one core. Durations from a run with the headless shell (2026-12-06).
/// </summary>
public sealed class LongestFirst() : LongestFirstOrderer(
    nameof(TwoNodeE2ETests), // ~100 s: five tests, one after another
    nameof(SampleProjectE2ETests), // ~50 s
    nameof(ExperimentE2ETests), // ~50 s
    nameof(RemoteWorkerE2ETests), // ~35 s
    nameof(AccessibilityE2ETests), // ~30 s
    nameof(LabelingE2ETests), // ~30 s
    nameof(ExperimentToolsE2ETests), // ~25 s
    nameof(PortalTests)); // ~25 s
