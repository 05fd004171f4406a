using System.Globalization;
using Bunit;
using TransferHub.Shared.Registry;
using TransferHub.Web.Components.Pages.Registry;

namespace TransferHub.Tests.Unit.Web.Components;

public sealed class LineageGraphTests : MudComponentTest
{
    [Fact]
    public void SourcesStandLeftOfWhatTheyProduced()
    {
        var graph = new LineageDto(
        [
            new("model-version:b", "model-version", "target v1"), new("run:b", "run", "frozen seed 1"), new("dataset-version:d", "dataset-version", "data 1234"),
            new("model-version:a", "model-version", "source v1"), new("run:a", "run", "baseline seed 1"),
        ],
        [
            new("run:b", "model-version:b", "registered as"), new("dataset-version:d", "run:b", "trained on"), new("model-version:a", "run:b", "transferred from"),
            new("run:a", "model-version:a", "registered as"), new("dataset-version:d", "run:a", "trained on"),
        ]);

        var cut = Render<LineageGraph>(p => p.Add(g => g.Graph, graph));

        double X(string label) => double.Parse(cut.FindAll("g.lineage-node").Single(n => n.QuerySelector("title")!.TextContent == label)
            .QuerySelector("rect")!.GetAttribute("x")!, CultureInfo.InvariantCulture);
        X("data 1234").ShouldBeLessThan(X("baseline seed 1"));
        X("baseline seed 1").ShouldBeLessThan(X("source v1"));
        X("source v1").ShouldBeLessThan(X("frozen seed 1"));
        X("frozen seed 1").ShouldBeLessThan(X("target v1"));
        cut.FindAll("line").Count.ShouldBe(5);
    }
}
