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
/// Construction also runs with the garbage collector held off (<see cref="WithoutCollection{T}"/>).
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
            return WithoutCollection(create);
        }
    }

    /// <summary>
    /// Runs <paramref name="draw"/>, which draws from the global generator unseeded (constructs a module), never in the
    /// middle of a seeded creation. Reentrant: a seeded creation's own construction passes straight through.
    /// </summary>
    public static T Draw<T>(Func<T> draw)
    {
        TorchRuntime.EnsureLoaded();
        lock (Gate) return WithoutCollection(draw);
    }

    /// <summary>Seeds the global generator, never in the middle of a seeded creation.</summary>
    public static void Seed(long seed)
    {
        lock (Gate) manual_seed(seed);
    }

    // Enough for any of our architectures' managed objects; a parallel thread allocating past it ends the pause early
    // (the runtime collects then), which only reopens the window below, it never fails the construction.
    private const long ConstructionBudget = 64L * 1024 * 1024;

    /// <summary>
    /// TorchSharp's weight initialisation reads a temporary tensor through its raw handle (the fan-in of a convolution:
    /// <c>weight[0, 0].NumberOfElements</c>); a collection started by another thread in that instant lets the finalizer
    /// free the temporary while libtorch reads it — a CI test host died of it (SIGSEGV in THSTensor_numel, building a
    /// TextCnn). With no collection while a module is built, the temporary outlives its use.
    /// </summary>
    private static T WithoutCollection<T>(Func<T> build)
    {
        // Always called under Gate, so a plain counter tells a nested construction (which must not start a second pause).
        var paused = _depth++ == 0 && TryPause();
        try
        {
            return build();
        }
        finally
        {
            _depth--;
            if (paused)
            {
                EndPause();
            }
        }
    }

    private static int _depth;

    private static bool TryPause()
    {
        try
        {
            return GC.TryStartNoGCRegion(ConstructionBudget);
        }
        catch (Exception e) when (e is ArgumentOutOfRangeException or InvalidOperationException)
        {
            return false; // a heap limit below the budget, or a pause someone else holds: build as before
        }
    }

    // Ended even when the runtime already left the pause (a thread allocated past the budget, a collection ran): until
    // EndNoGCRegion is called the runtime counts the pause as in progress, and the next one could not start.
    private static void EndPause()
    {
        try
        {
            GC.EndNoGCRegion();
        }
        catch (InvalidOperationException)
        {
            // The pause ended early; the call above still cleared it.
        }
    }
}
