using TransferHub.Shared.Datasets;
using TransferHub.Web.Components.Pages.Datasets;

namespace TransferHub.Tests.Unit.Web.Components;

public sealed class DatasetViewTests
{
    private static DatasetDto Dataset(int items, int labeled, int overlap = 0) =>
        new(Guid.NewGuid(), Guid.NewGuid(), "emails", DatasetKind.Text, LabelTask.SingleLabel, null, overlap, [], items, labeled, DateTimeOffset.UnixEpoch);

    private static LabelDto Label(string name) => new(Guid.NewGuid(), name, "#123456", name[..1], null, 0);

    [Fact]
    public void ProgressCountsLabeledItemsAndSaysWhatWaitsForAReviewer()
    {
        DatasetView.Progress(Dataset(350, 250), 0).ShouldBe($"{250:N0} of {350:N0} items labeled");
        DatasetView.Progress(Dataset(350, 250), 7).ShouldEndWith(" · 7 wait for a reviewer");
    }

    [Fact]
    public void BarsAreRelativeToTheMostUsedLabelAndEmptyWhenNothingIsLabeled()
    {
        var bars = DatasetView.Bars([(Label("spam"), 30), (Label("ham"), 60), (Label("other"), 0)]);

        bars.Select(b => b.Percent).ShouldBe([50.0, 100.0, 0.0]);
        DatasetView.Bars([(Label("spam"), 0)]).Single().Percent.ShouldBe(0); // no division by zero
    }

    [Fact]
    public void WithoutAgreementThePageSaysWhatBringsIt()
    {
        DatasetView.NoAgreement(Dataset(10, 0, overlap: 20)).ShouldContain("20 % of items are labeled twice");
        DatasetView.NoAgreement(Dataset(10, 0)).ShouldContain("Set an overlap share");
        DatasetView.Agreement(null).ShouldBe("not defined");
        DatasetView.Agreement(0.8123).ShouldBe(0.81.ToString("0.00", System.Globalization.CultureInfo.CurrentCulture));
    }
}
