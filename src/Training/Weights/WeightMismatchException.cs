namespace TransferHub.Training.Weights;

// Weights do not fit the architecture; the message lists every mismatched shape and missing tensor.
public sealed class WeightMismatchException(IReadOnlyList<string> mismatchedShapes, IReadOnlyList<string> missing)
    : Exception(Describe(mismatchedShapes, missing))
{
    public IReadOnlyList<string> MismatchedShapes { get; } = mismatchedShapes;

    public IReadOnlyList<string> Missing { get; } = missing;

    private static string Describe(IReadOnlyList<string> mismatched, IReadOnlyList<string> missing)
    {
        var parts = new List<string>();
        if (mismatched.Count > 0) parts.Add($"{mismatched.Count} shape mismatch(es): {string.Join("; ", mismatched)}");
        if (missing.Count > 0) parts.Add($"{missing.Count} missing tensor(s): {string.Join(", ", missing)}");
        return "Weights do not fit the model. " + string.Join(". ", parts) + ".";
    }
}
