using Bunit;
using Microsoft.AspNetCore.Components;
using TransferHub.Shared.Datasets;
using TransferHub.Web.Components.Pages.Labeling;
using TransferHub.Web.Features.Labeling;

namespace TransferHub.Tests.Unit.Web.Components;

public sealed class LabelingSurfaceTests : MudComponentTest
{
    private static readonly LabelDto Cat = new(Guid.NewGuid(), "cat", "#ff0000", "1", null, 0);
    private static readonly LabelDto Dog = new(Guid.NewGuid(), "dog", "#00ff00", "2", "any dog", 1);
    private static readonly LabelDto Bird = new(Guid.NewGuid(), "bird", "#0000ff", "b", null, 2);
    private readonly List<IReadOnlyList<Guid>> _submitted = [];
    private readonly List<string> _commands = [];

    private static DatasetDto Dataset(LabelTask task) =>
        new(Guid.NewGuid(), Guid.NewGuid(), "pets", DatasetKind.Text, task, null, 0, [Cat, Dog, Bird], 10, 0, DateTimeOffset.UtcNow);

    private static LabelingItem Item(params Guid[] mine) =>
        new(new ItemDto(Guid.NewGuid(), Guid.NewGuid(), null, "a cat on a mat", null, null, "h", [], 0, DateTimeOffset.UtcNow), mine, null);

    private IRenderedComponent<LabelingSurface> RenderSurface(LabelTask task, bool autoSubmit, LabelingItem? item = null) =>
        Render<LabelingSurface>(p => p
            .Add(s => s.Dataset, Dataset(task))
            .Add(s => s.Item, item ?? Item())
            .Add(s => s.AutoSubmit, autoSubmit)
            .Add(s => s.OnSubmit, EventCallback.Factory.Create<IReadOnlyList<Guid>>(this, ids => _submitted.Add(ids)))
            .Add(s => s.OnSkip, EventCallback.Factory.Create(this, () => _commands.Add("skip")))
            .Add(s => s.OnUndo, EventCallback.Factory.Create(this, () => _commands.Add("undo")))
            .Add(s => s.OnBack, EventCallback.Factory.Create(this, () => _commands.Add("back")))
            .Add(s => s.OnForward, EventCallback.Factory.Create(this, () => _commands.Add("forward"))));

    [Fact]
    public void OnTheReviewPageUDoesNothingAndTheAsideShowsTheVotes()
    {
        var cut = Render<LabelingSurface>(p => p
            .Add(s => s.Dataset, Dataset(LabelTask.SingleLabel))
            .Add(s => s.Item, Item())
            .Add(s => s.CanUndo, false)
            .Add(s => s.SessionVerb, "settled")
            .Add(s => s.Aside, "<p id='votes'>ann: cat</p>")
            .Add(s => s.OnUndo, EventCallback.Factory.Create(this, () => _commands.Add("undo"))));

        cut.Find("#labeling-surface").KeyDown("u");

        _commands.ShouldBeEmpty();
        cut.Find("#votes").TextContent.ShouldBe("ann: cat");
        cut.Find("#session-count").TextContent.ShouldBe("0 settled this session");
        cut.FindAll("button").Select(b => b.TextContent).ShouldNotContain(t => t.Contains("Undo"));
    }

    [Fact]
    public void LabelKeySubmitsAtOnceInSingleLabelQuickMode()
    {
        var cut = RenderSurface(LabelTask.SingleLabel, autoSubmit: true);

        cut.Find("#labeling-surface").KeyDown("2");

        _submitted.ShouldHaveSingleItem().ShouldBe([Dog.Id]);
    }

    [Fact]
    public void WithoutQuickModeTheKeySelectsAndEnterSubmits()
    {
        var cut = RenderSurface(LabelTask.SingleLabel, autoSubmit: false);

        cut.Find("#labeling-surface").KeyDown("1");
        cut.Find("#labeling-surface").KeyDown("B"); // shortcuts ignore case; single-label keeps the last one
        _submitted.ShouldBeEmpty();
        cut.Find("#labeling-surface").KeyDown("Enter");

        _submitted.ShouldHaveSingleItem().ShouldBe([Bird.Id]);
    }

    [Fact]
    public void MultiLabelKeysToggleAndEnterSubmitsAll()
    {
        var cut = RenderSurface(LabelTask.MultiLabel, autoSubmit: true);

        cut.Find("#labeling-surface").KeyDown("1");
        cut.Find("#labeling-surface").KeyDown("2");
        cut.Find("#labeling-surface").KeyDown("b");
        cut.Find("#labeling-surface").KeyDown("2");
        cut.Find("#labeling-surface").KeyDown("Enter");

        _submitted.ShouldHaveSingleItem().Order().ShouldBe(new[] { Cat.Id, Bird.Id }.Order());
    }

    [Fact]
    public void EnterWithNothingSelectedSubmitsNothingAndEscapeClears()
    {
        var cut = RenderSurface(LabelTask.MultiLabel, autoSubmit: false);

        cut.Find("#labeling-surface").KeyDown("Enter");
        cut.Find("#labeling-surface").KeyDown("1");
        cut.Find("#labeling-surface").KeyDown("Escape");
        cut.Find("#labeling-surface").KeyDown("Enter");

        _submitted.ShouldBeEmpty();
    }

    [Theory]
    [InlineData("s", "skip")]
    [InlineData("S", "skip")]
    [InlineData("u", "undo")]
    [InlineData("ArrowLeft", "back")]
    [InlineData("k", "back")]
    [InlineData("ArrowRight", "forward")]
    [InlineData("j", "forward")]
    public void NavigationKeysRaiseTheirCommand(string key, string command)
    {
        var cut = RenderSurface(LabelTask.SingleLabel, autoSubmit: true);

        cut.Find("#labeling-surface").KeyDown(key);

        _commands.ShouldBe([command]);
        _submitted.ShouldBeEmpty();
    }

    [Fact]
    public void ShortcutsWithCtrlAreLeftToTheBrowser()
    {
        var cut = RenderSurface(LabelTask.SingleLabel, autoSubmit: true);

        cut.Find("#labeling-surface").KeyDown(new Microsoft.AspNetCore.Components.Web.KeyboardEventArgs { Key = "s", CtrlKey = true });

        _commands.ShouldBeEmpty();
    }

    [Fact]
    public void QuestionMarkTogglesTheHelpListingEveryLabel()
    {
        var cut = RenderSurface(LabelTask.SingleLabel, autoSubmit: true);

        cut.Find("#labeling-surface").KeyDown("?");

        cut.Find("#shortcut-help").TextContent.ShouldContain("dog — any dog");
        cut.Find("#labeling-surface").KeyDown("?");
        cut.FindAll("#shortcut-help").ShouldBeEmpty();
    }

    [Fact]
    public void AnItemLabeledBeforeShowsTheUsersLabelsSelected()
    {
        var cut = RenderSurface(LabelTask.SingleLabel, autoSubmit: false, Item(Dog.Id));

        cut.Find("#labeling-surface").KeyDown("Enter");

        _submitted.ShouldHaveSingleItem().ShouldBe([Dog.Id]);
        cut.Find("[data-label=dog]").ClassList.ShouldContain("selected");
    }

    [Fact]
    public void AModelsPreLabelIsShownSelectedAndEnterConfirmsIt()
    {
        var suggested = Item() with { Suggestion = new ModelSuggestion(Bird.Id, "bird", 0.62, Guid.NewGuid()) };
        var cut = RenderSurface(LabelTask.SingleLabel, autoSubmit: true, suggested);

        cut.Find("#model-suggestion").TextContent.ShouldContain("Model suggests bird (62");
        cut.Find("[data-label=bird]").ClassList.ShouldContain("selected");
        cut.Find("#labeling-surface").KeyDown("Enter");

        _submitted.ShouldHaveSingleItem().ShouldBe([Bird.Id]);
    }

    [Fact]
    public void ALabelKeyOverridesThePreLabel()
    {
        var suggested = Item() with { Suggestion = new ModelSuggestion(Bird.Id, "bird", 0.9, Guid.NewGuid()) };
        var cut = RenderSurface(LabelTask.SingleLabel, autoSubmit: true, suggested);

        cut.Find("#labeling-surface").KeyDown("1");

        _submitted.ShouldHaveSingleItem().ShouldBe([Cat.Id]);
    }
}
