using Bunit;
using TransferHub.Shared.Registry;
using TransferHub.Web.Components.Pages.Registry;

namespace TransferHub.Tests.Unit.Web.Components;

public sealed class ModelSettingsPanelTests : MudComponentTest
{
    [Fact]
    public void SavingKeepsTheDescriptionTagsAndDriftThresholds()
    {
        UpdateModelRequest? saved = null;
        var model = new ModelDto(Guid.NewGuid(), Guid.NewGuid(), "p", "m", "# About", ["vision"], 0.8, null, true,
            new DriftSettings(Window: 300, PsiDrift: 0.3), null, DateTimeOffset.UnixEpoch, []);
        var cut = Render<ModelSettingsPanel>(p => p.Add(s => s.Model, model).Add(s => s.OnSave, (UpdateModelRequest r) => saved = r));

        cut.Find(".mud-expand-panel-header").Click();
        cut.FindAll("button").Single(b => b.TextContent.Contains("Save settings")).Click();

        saved.ShouldNotBeNull();
        (saved.Description, saved.MetricThreshold, saved.AgreementThreshold, saved.KeepRawInputs).ShouldBe(("# About", 0.8, null, true));
        saved.Tags.ShouldBe(["vision"]);
        saved.Drift.ShouldBe(new DriftSettings(Window: 300, PsiDrift: 0.3));
    }
}
