using TransferHub.Training.Metrics;

namespace TransferHub.Tests.Unit.Training;

public sealed class MetricsCalculatorTests
{
    [Fact]
    public void ComputesAccuracyMacroF1ConfusionAndCalibration()
    {
        // Truth 0,0,1,1 predicted 0,1,1,1 with confidences 0.9, 0.6, 0.8, 0.7.
        long[] labels = [0, 0, 1, 1];
        float[] probabilities = [0.9f, 0.1f, 0.4f, 0.6f, 0.2f, 0.8f, 0.3f, 0.7f];

        var m = MetricsCalculator.Compute(labels, probabilities, 2, loss: 0.5);

        m.Accuracy.ShouldBe(0.75);
        m.Confusion.ShouldBe(new[] { new[] { 1, 1 }, new[] { 0, 2 } });
        m.PerClass[0].Precision.ShouldBe(1.0);
        m.PerClass[0].Recall.ShouldBe(0.5);
        m.PerClass[1].Precision.ShouldBe(2.0 / 3, 1e-12);
        m.MacroF1.ShouldBe((2.0 / 3 + 0.8) / 2, 1e-12);
        // Bins: 0.9 (hit), 0.6 (miss), 0.8 (hit), 0.7 (hit) → each alone: |1-.9|+|0-.6|+|1-.8|+|1-.7| over 4.
        m.ExpectedCalibrationError.ShouldBe((0.1 + 0.6 + 0.2 + 0.3) / 4, 1e-6);
    }
}
