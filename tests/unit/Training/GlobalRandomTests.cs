using TransferHub.Training.Models;
using TransferHub.Training.Runtime;
using static TorchSharp.torch;

namespace TransferHub.Tests.Unit.Training;

[Collection(TorchCollection.Name)]
public sealed class GlobalRandomTests
{
    [Fact]
    public async Task ASeedGivesTheSameInitialWeightsWhileAnotherThreadKeepsReseeding()
    {
        var expected = InitialWeights();
        using var stop = new CancellationTokenSource();
        // What a run beside this one does at every epoch: re-seed the process's global generator.
        using var started = new SemaphoreSlim(0);
        var reseeder = Task.Factory.StartNew(() =>
        {
            started.Release();
            for (var i = 0L; !stop.IsCancellationRequested; i++) GlobalRandom.Seed(i);
        }, TaskCreationOptions.LongRunning);
        await started.WaitAsync();
        try
        {
            for (var attempt = 0; attempt < 200; attempt++) InitialWeights().ShouldBe(expected);
        }
        finally
        {
            stop.Cancel();
            await reseeder;
        }
    }

    private static float[] InitialWeights()
    {
        using var model = GlobalRandom.Create(7, () => ModelRegistry.Create(TrainingHarness.Architecture, 3));
        return model.parameters().SelectMany(p => p.data<float>().ToArray()).ToArray();
    }
}
