using System.Globalization;
using TransferHub.Shared.Datasets;

namespace TransferHub.Web.Components.Pages.Datasets;

/// <summary>What the dataset page says about a dataset's progress, labels and agreement; apart from the page so that unit tests read it.</summary>
public static class DatasetView
{
    public static string Progress(DatasetDto dataset, int needsReview) =>
        string.Create(CultureInfo.CurrentCulture, $"{dataset.LabeledCount:N0} of {dataset.ItemCount:N0} items labeled")
        + (needsReview > 0 ? $" · {needsReview} wait for a reviewer" : "");

    /// <summary>Each label's bar as a percentage of the most used label's (0 for all when nothing is labeled).</summary>
    public static IReadOnlyList<(LabelDto Label, int Count, double Percent)> Bars(IReadOnlyList<(LabelDto Label, int Count)> perLabel)
    {
        var max = Math.Max(1, perLabel.Select(p => p.Count).DefaultIfEmpty(0).Max());
        return [.. perLabel.Select(p => (p.Label, p.Count, 100.0 * p.Count / max))];
    }

    /// <summary>Why there is no agreement yet, and what brings it.</summary>
    public static string NoAgreement(DatasetDto dataset) => "No item has two annotators yet. " + (dataset.OverlapPercent > 0
        ? $"{dataset.OverlapPercent} % of items are labeled twice; agreement appears as they are."
        : "Set an overlap share to measure agreement.");

    /// <summary>Krippendorff's alpha as the page shows it; undefined (one label only, say) is said in words.</summary>
    public static string Agreement(double? value) => value is null ? "not defined" : value.Value.ToString("0.00", CultureInfo.CurrentCulture);
}
