using Bunit;
using Microsoft.AspNetCore.Components;
using TransferHub.Web.Components.Common;

namespace TransferHub.Tests.Unit.Web.Components;

public sealed class EmptyStateTests : MudComponentTest
{
    [Fact]
    public void SaysWhatIsEmptyAndOffersTheNextStep()
    {
        var cut = Render<EmptyState>(p => p
            .Add(e => e.Title, "No projects yet")
            .Add(e => e.Text, "Create one.")
            .Add(e => e.ChildContent, (RenderFragment)(b => b.AddMarkupContent(0, "<a id=\"next\" href=\"/projects\">Create</a>"))));

        cut.Markup.ShouldContain("No projects yet");
        cut.Markup.ShouldContain("Create one.");
        cut.Find("#next").GetAttribute("href").ShouldBe("/projects");
    }
}
