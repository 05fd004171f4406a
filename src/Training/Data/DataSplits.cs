using static TorchSharp.torch;

namespace TransferHub.Training.Data;

// Train / validation / test splits of one task.
public sealed record DataSplits(LabeledTensors Train, LabeledTensors Validation, LabeledTensors Test) : IDisposable
{
    public int NumClasses => Train.NumClasses;

    // A stratified-by-chance split of one set, seeded.
    public static DataSplits Split(LabeledTensors all, double validationFraction, double testFraction, int seed)
    {
        var generator = new Generator((ulong)seed);
        using var order = randperm(all.Count, generator: generator);
        var nVal = (long)Math.Round(all.Count * validationFraction);
        var nTest = (long)Math.Round(all.Count * testFraction);
        var nTrain = all.Count - nVal - nTest;
        using var trainIdx = order.narrow(0, 0, nTrain);
        using var valIdx = order.narrow(0, nTrain, nVal);
        using var testIdx = order.narrow(0, nTrain + nVal, nTest);
        return new DataSplits(all.Select(trainIdx), all.Select(valIdx), all.Select(testIdx));
    }

    public void Dispose()
    {
        Train.Dispose();
        Validation.Dispose();
        Test.Dispose();
    }
}
