using Bunit;
using TransferHub.Shared.Experiments;
using TransferHub.Web.Components.Pages.Experiments;

namespace TransferHub.Tests.Unit.Web.Components;

public sealed class CurveChartTests : MudComponentTest
{
    private static ArmCurve Curve(string arm, params double[] f1) =>
        new(arm, [.. f1.Select((v, i) => new CurvePoint(i + 1, 2, v, v - 0.01, v + 0.01, 1.0 / (i + 1), 0.9 / (i + 1), 1.1 / (i + 1)))]);

    private IRenderedComponent<CurveChart> RenderChart() => Render<CurveChart>(p => p
        .Add(c => c.Title, "Validation macro-F1")
        .Add(c => c.Curves, [Curve("baseline", 0.80, 0.82, 0.84), Curve("fine-tune", 0.85, 0.86, 0.88)])
        .Add(c => c.Value, (CurvePoint q) => (q.ValidationF1, q.ValidationF1Min, q.ValidationF1Max))
        .Add(c => c.Range, (0.0, 1.0)));

    [Fact]
    public void ALegendButtonHidesAndShowsItsArm()
    {
        var cut = RenderChart();
        cut.FindAll("polyline").Count.ShouldBe(2);

        cut.FindAll("button.legend").Single(b => b.TextContent == "baseline").Click();

        cut.FindAll("polyline").Count.ShouldBe(1);
        cut.FindAll("button.legend").Single(b => b.TextContent == "baseline").GetAttribute("aria-pressed").ShouldBe("false");
        cut.FindAll("circle title").Select(t => t.TextContent).ShouldAllBe(t => t.StartsWith("fine-tune"));
        cut.FindAll("button.legend").Single(b => b.TextContent == "baseline").Click();
        cut.FindAll("polyline").Count.ShouldBe(2);
    }

    [Fact]
    public void EveryPointNamesItsValueOnHover()
    {
        var cut = RenderChart();

        var titles = cut.FindAll("circle title").Select(t => t.TextContent).ToList();

        titles.Count.ShouldBe(6);
        titles.ShouldContain("baseline · epoch 2: 0.82 (0.81–0.83)");
    }

    [Fact]
    public void ZoomToDataFitsTheAxisToTheVisibleCurves()
    {
        var cut = RenderChart();
        Ticks(cut).ShouldBe(["1.00", "0.75", "0.50", "0.25", "0.00"]);

        cut.Find(".chart-fit input").Change(true);

        var ticks = Ticks(cut).Select(t => double.Parse(t, System.Globalization.CultureInfo.InvariantCulture)).ToList();
        ticks.First().ShouldBe(0.91, 0.011); // highest seed 0.89, plus 2 % of the range
        ticks.Last().ShouldBe(0.77, 0.011);  // lowest seed 0.79, minus 2 %
    }

    private static List<string> Ticks(IRenderedComponent<CurveChart> cut) =>
        [.. cut.FindAll("text.tick").Select(t => t.TextContent).Where(t => !t.StartsWith("epoch", StringComparison.Ordinal))];
}
