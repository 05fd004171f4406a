using static TorchSharp.torch;

namespace TransferHub.Training.Runtime;

/// <summary>
/// libtorch's one global generator, shared by every thread of the process. Modules initialise their weights from it,
/// so a model created while another thread re-seeds it (a run starting an epoch beside it: in-process runs, tests in
/// parallel) started from other weights than its seed gives alone — a flaky "resume equals straight" test found it.
/// Every seeding and every seeded creation goes through one lock, so a seed's initial weights are the same whatever
/// else the process is doing. Draws during training that use the global generator (dropout) are not covered.
/// </summary>
public static class GlobalRandom
{
    private static readonly Lock Gate = new();

    /// <summary>Seeds the global generator and runs <paramref name="create"/> with no other seeding in between.</summary>
    public static T Create<T>(long seed, Func<T> create)
    {
        TorchRuntime.EnsureLoaded();
        lock (Gate)
        {
            manual_seed(seed);
            return create();
        }
    }

    /// <summary>Seeds the global generator, never in the middle of a seeded creation.</summary>
    public static void Seed(long seed)
    {
        lock (Gate) manual_seed(seed);
    }
}
