namespace TransferHub.Web.Features.Datasets;

public static class DatasetRules
{
    public const int MaxNameLength = 100;
    public const int MaxGuidelineLength = 20_000;
    public const int MaxLabelLength = 64;
    public const int MaxLabels = 200;
    public const int MaxTextLength = 20_000;

    /// <summary>Keys the labeling page keeps for itself; a label shortcut cannot be one of them.</summary>
    public const string ReservedKeys = "jkusJKUS?";

    /// <summary>
    /// The key a new label gets unless one is chosen: its own name when that is one free digit or letter ("7", "a"), else the
    /// first free of 1…9, 0, then letters, avoiding <paramref name="avoid"/> (own keys of labels being created with it).
    /// </summary>
    public static string? DefaultShortcut(string? name, IReadOnlyCollection<LabelClass> labels, IReadOnlySet<string>? avoid = null) =>
        OwnKey(name) is { } own && labels.All(l => l.Shortcut != own) ? own
            : "1234567890abcdefghilmnopqrtvwxyz".Select(c => c.ToString()).FirstOrDefault(k => labels.All(l => l.Shortcut != k) && avoid?.Contains(k) != true);

    /// <summary>The key a label named by a single digit or letter gets by default: its own name (unless the labeling page uses it).</summary>
    public static string? OwnKey(string? name) =>
        name?.Trim() is [var c] && char.IsAsciiLetterOrDigit(c) && !ReservedKeys.Contains(c) ? char.ToLowerInvariant(c).ToString() : null;

    public static readonly string[] Palette =
        ["#3556c8", "#e4572e", "#17bebb", "#ffc914", "#76b041", "#a05195", "#f95d6a", "#2f4b7c", "#ff7c43", "#665191"];
}
