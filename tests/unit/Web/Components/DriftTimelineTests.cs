using Bunit;
using TransferHub.Shared.Registry;
using TransferHub.Web.Components.Pages.Registry;

namespace TransferHub.Tests.Unit.Web.Components;

public sealed class DriftTimelineTests : MudComponentTest
{
    private static DriftReportDto Run(int minute, string status, params DriftTestDto[] tests) =>
        new(Guid.NewGuid(), Guid.Empty, 1, DateTimeOffset.UnixEpoch.AddMinutes(minute), status, 100, 60, tests);

    [Fact]
    public void DrawsABarPerCheckAndARowPerTest()
    {
        var cut = Render<DriftTimeline>(p => p.Add(t => t.History,
        [
            Run(0, "not enough data", new DriftTestDto("all", "-", null, null, "not enough data", "12 predictions")),
            Run(15, "drift", new DriftTestDto("PSI", "predicted class", 0.4, null, "drift", "PSI 0.400"), new DriftTestDto("MMD", "embedding", 0.01, 0.3, "ok", "p 0.3")),
        ]));

        cut.FindAll("svg > g > text").Select(t => t.TextContent).ShouldBe(["PSI · predicted class", "MMD · embedding"]);
        // 2 overall bars + 2 checks × 2 test rows.
        cut.FindAll("svg rect").Count.ShouldBe(6);
        cut.FindAll("svg rect").Count(r => r.GetAttribute("fill") == "#d32f2f").ShouldBe(2);
        cut.FindAll("svg rect title").Select(t => t.TextContent).ShouldContain("PSI · predicted class: not run");
    }

    [Fact]
    public void SaysSoWhenNothingWasChecked() =>
        Render<DriftTimeline>(p => p.Add(t => t.History, [])).Markup.ShouldContain("No drift check yet");
}
