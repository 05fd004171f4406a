using TransferHub.Training.Data;
using TransferHub.Training.Models;
using TransferHub.Training.Runtime;
using TransferHub.Training.Transferability;
using TransferHub.Training.Weights;
using static TorchSharp.torch;

namespace TransferHub.Tests.Unit.Training;

[Collection(TorchCollection.Name)]
[Trait("Category", "Slow")]
public sealed class TransferabilityTests(SourceModels sources)
{
    [Fact]
    public void LeepIsZeroWhenSourcePredictionsDetermineTheTargetLabel()
    {
        // Source class z = 2 - y (a bijection, not the identity), one-hot and certain.
        long[] labels = [0, 1, 2, 0, 1, 2];
        var probabilities = labels.SelectMany(y => Enumerable.Range(0, 3).Select(z => z == 2 - y ? 1f : 0f)).ToArray();

        Leep.Score(probabilities, labels, 3).ShouldBe(0, 1e-12);
    }

    [Fact]
    public void LeepIsMinusTheLabelEntropyWhenSourcePredictionsCarryNoInformation()
    {
        long[] labels = [0, 0, 0, 1];
        var probabilities = Enumerable.Repeat(new[] { 0.2f, 0.5f, 0.3f }, 4).SelectMany(p => p).ToArray();

        var entropy = -(0.75 * Math.Log(0.75) + 0.25 * Math.Log(0.25));
        Leep.Score(probabilities, labels, 2).ShouldBe(-entropy, 1e-6);
    }

    [Fact]
    public void LogMeEvidenceMatchesTheGaussianDensityAndIsAMaximum()
    {
        TorchRuntime.EnsureLoaded();
        using var draws = new Generator(3);
        using var features = randn(new long[] { 12, 4 }, dtype: ScalarType.Float64, generator: draws);
        using var weights = tensor(new[] { 1.0, -2.0, 0.5, 0.0 }).reshape(4, 1);
        using var noise = randn(new long[] { 12, 1 }, dtype: ScalarType.Float64, generator: draws) * 0.3;
        var y = (features.matmul(weights) + noise).reshape(-1).data<double>().ToArray();

        var best = LogMe.MaximiseEvidence(features, y);

        GaussianLogDensity(features, y, best.Alpha, best.Beta).ShouldBe(best.LogEvidencePerSample * 12, 1e-8);
        foreach (var (a, b) in new[] { (1.5, 1.0), (1 / 1.5, 1.0), (1.0, 1.5), (1.0, 1 / 1.5) })
            GaussianLogDensity(features, y, best.Alpha * a, best.Beta * b).ShouldBeLessThan(best.LogEvidencePerSample * 12);
        best.Beta.ShouldBeInRange(2.0, 100.0); // noise sd 0.3 → precision ~11; n = 12 only pins its order of magnitude
    }

    [Fact]
    public void LogMePrefersFeaturesThatEncodeTheLabels()
    {
        TorchRuntime.EnsureLoaded();
        using var draws = new Generator(4);
        var labels = Enumerable.Range(0, 60).Select(i => (long)(i % 3)).ToArray();
        using var noise = randn([60, 8], generator: draws);
        using var informative = nn.functional.one_hot(tensor(labels), 3).to(ScalarType.Float32).repeat(1, 2) * 2 + noise[.., ..6] * 0.5;

        LogMe.Score(informative, labels, 3).ShouldBeGreaterThan(LogMe.Score(noise, labels, 3) + 0.1);
    }

    [Fact]
    public void BothScoresRankTheShapeSourceAboveTheColourSourceOnAShapeTarget()
    {
        using var target = SyntheticShapes.Generate(200, seed: 70, SyntheticLabel.Shape, palette: SyntheticShapes.PaletteB);
        using var shapeModel = Load(sources.Shape, SyntheticShapes.ShapeCount);
        using var colourModel = Load(sources.Colour, SyntheticShapes.PaletteA.Length);

        var shape = TransferabilityScorer.Score(shapeModel, target, CPU);
        var colour = TransferabilityScorer.Score(colourModel, target, CPU);

        shape.LogMe.ShouldBeGreaterThan(colour.LogMe);
        shape.Leep.ShouldBeGreaterThan(colour.Leep + 0.3);
    }

    private static ClassifierModel Load(IReadOnlyDictionary<string, Tensor> state, int classes)
    {
        var model = ModelRegistry.Create(TrainingHarness.Architecture, classes);
        WeightLoader.LoadInto(model, state, includeHead: true);
        return model;
    }

    private static double GaussianLogDensity(Tensor f, double[] y, double alpha, double beta)
    {
        using var scope = NewDisposeScope();
        var n = f.shape[0];
        var covariance = f.matmul(f.t()) / alpha + eye(n, dtype: ScalarType.Float64) / beta;
        var target = tensor(y).reshape(-1, 1);
        var quadratic = target.t().matmul(linalg.solve(covariance, target)).item<double>();
        var logDet = linalg.slogdet(covariance).Item2.item<double>();
        return -0.5 * (quadratic + logDet + n * Math.Log(2 * Math.PI));
    }
}
