using static TorchSharp.torch;

namespace TransferHub.Training.Runtime;

/// <summary>
/// libtorch's one global generator, shared by every thread of the process. Modules initialise their weights from it,
/// so a model created while another thread re-seeds it (a run starting an epoch beside it: in-process runs, tests in
/// parallel) started from other weights than its seed gives alone — a flaky "resume equals straight" test found it.
/// Every seeding and every draw from it (a module's construction: <see cref="Models.ModelRegistry"/> creates through
/// <see cref="Draw"/>) goes through one lock, so a seed's initial weights are the same whatever else the process is doing.
/// Everything else draws from its own <see cref="Generator"/> (a source-scanning test holds src and tests to it). Draws
/// during training that use the global generator (dropout) are not covered: a worker trains one run at a time.
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

    /// <summary>
    /// Runs <paramref name="draw"/>, which draws from the global generator unseeded (constructs a module), never in the
    /// middle of a seeded creation. Reentrant: a seeded creation's own construction passes straight through.
    /// </summary>
    public static T Draw<T>(Func<T> draw)
    {
        TorchRuntime.EnsureLoaded();
        lock (Gate) return draw();
    }

    /// <summary>Seeds the global generator, never in the middle of a seeded creation.</summary>
    public static void Seed(long seed)
    {
        lock (Gate) manual_seed(seed);
    }
}
