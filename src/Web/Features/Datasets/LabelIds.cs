namespace TransferHub.Web.Features.Datasets;

/// <summary>Label ids stored as one sorted, comma-separated string: equal sets compare equal as text.</summary>
public static class LabelIds
{
    public static string Format(IEnumerable<Guid> ids) => string.Join(',', ids.Distinct().Order());

    public static IReadOnlyList<Guid> Parse(string? value) =>
        string.IsNullOrEmpty(value) ? [] : [.. value.Split(',').Select(Guid.Parse)];
}
