using TransferHub.Web.Components.Common;

namespace TransferHub.Tests.Unit.Web.Components;

public sealed class PersonBadgeTests
{
    [Theory]
    [InlineData("labeler-a@e2e.test", "LA")]
    [InlineData("labeler-b@e2e.test", "LB")]
    [InlineData("Ada Lovelace", "AL")]
    [InlineData("grace.hopper@navy.test", "GH")]
    [InlineData("x@example.test", "X")]
    [InlineData("bob@example.test", "BO")]
    public void TwoLabelersWhoseNamesStartAlikeGetDifferentInitials(string name, string initials) =>
        PersonBadge.Initials(name).ShouldBe(initials);

    [Fact]
    public void ColoursAreStableAndTellPeopleApart()
    {
        var colours = Enumerable.Range(0, 8).Select(i => PersonBadge.Colour($"labeler-{i}@e2e.test")).ToList();

        PersonBadge.Colour("labeler-0@e2e.test").ShouldBe(colours[0]);
        PersonBadge.Colour("LABELER-0@e2e.test").ShouldBe(colours[0]);
        colours.Distinct().Count().ShouldBeGreaterThan(3);
        colours.ShouldAllBe(c => c.StartsWith('#') && c.Length == 7);
    }
}
