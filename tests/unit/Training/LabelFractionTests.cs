using TransferHub.Training.Data;
using static TorchSharp.torch;

namespace TransferHub.Tests.Unit.Training;

[Collection(TorchCollection.Name)]
[Trait("Category", "Slow")]
public sealed class LabelFractionTests
{
    private static LabeledTensors Train(params int[] perClass)
    {
        var labels = perClass.SelectMany((n, c) => Enumerable.Repeat((long)c, n)).ToArray();
        return new LabeledTensors(arange(labels.Length, ScalarType.Float32).reshape(labels.Length, 1), tensor(labels), perClass.Length);
    }

    [Fact]
    public void EachClassKeepsItsShareAndAtLeastOneExample()
    {
        using var train = Train(40, 20, 2);

        using var tenth = LabelFraction.Take(train, 0.1, seed: 1);

        tenth.Labels.bincount(null, 3).data<long>().ToArray().ShouldBe([4L, 2L, 1L]);
    }

    [Fact]
    public void TheSameSeedTakesTheSameExamplesAndAnotherSeedOthers()
    {
        using var train = Train(50, 50);

        using var a = LabelFraction.Take(train, 0.2, seed: 1);
        using var b = LabelFraction.Take(train, 0.2, seed: 1);
        using var c = LabelFraction.Take(train, 0.2, seed: 2);

        a.Inputs.data<float>().ToArray().ShouldBe(b.Inputs.data<float>().ToArray());
        a.Inputs.data<float>().ToArray().ShouldNotBe(c.Inputs.data<float>().ToArray());
        Should.Throw<ArgumentOutOfRangeException>(() => LabelFraction.Take(train, 0, 1));
        Should.Throw<ArgumentOutOfRangeException>(() => LabelFraction.Take(train, 1.5, 1));
    }
}
