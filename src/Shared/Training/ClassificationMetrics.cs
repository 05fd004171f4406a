namespace TransferHub.Shared.Training;

/// <summary>Precision, recall and F1 of one class.</summary>
public sealed record ClassMetrics(int Class, double Precision, double Recall, double F1, int Support);

/// <summary>Metrics of a model on one labelled split.</summary>
/// <param name="Loss">Mean cross-entropy.</param>
/// <param name="Accuracy">Fraction of correct predictions.</param>
/// <param name="MacroF1">Unweighted mean of per-class F1 (the primary metric).</param>
/// <param name="ExpectedCalibrationError">ECE over 15 equal-width confidence bins.</param>
/// <param name="PerClass">Per-class precision, recall, F1.</param>
/// <param name="Confusion">Row = true class, column = predicted class.</param>
public sealed record ClassificationMetrics(
    double Loss,
    double Accuracy,
    double MacroF1,
    double ExpectedCalibrationError,
    IReadOnlyList<ClassMetrics> PerClass,
    int[][] Confusion);
