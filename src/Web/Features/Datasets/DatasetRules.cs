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

    public static readonly string[] Palette =
        ["#3556c8", "#e4572e", "#17bebb", "#ffc914", "#76b041", "#a05195", "#f95d6a", "#2f4b7c", "#ff7c43", "#665191"];
}
