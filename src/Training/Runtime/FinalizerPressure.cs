using TorchSharp;

namespace TransferHub.Training.Runtime;

/// <summary>
/// Collects garbage and runs finalizers in a loop on its own thread until cancelled, so that any native call whose
/// managed argument is only finalizer-reachable loses it within seconds instead of once in a CI run.
/// Returns how many collections ran.
/// </summary>
public static class FinalizerPressure
{
    public static Task<int> Start(CancellationToken stop) => Task.Factory.StartNew(() =>
    {
        var collections = 0;
        while (!stop.IsCancellationRequested)
        {
            for (var i = 0; i < 100; i++) _ = 1.0.ToScalar(); // finalizable garbage, as the training loop makes
            GC.Collect(0); // the temporaries are young: a gen-0 collection finds them, and costs the rest of the process little
            GC.WaitForPendingFinalizers();
            collections++;
        }
        return collections;
    }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
}
