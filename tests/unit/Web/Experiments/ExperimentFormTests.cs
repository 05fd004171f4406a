using TransferHub.Shared.Experiments;
using TransferHub.Shared.Training;
using TransferHub.Shared.Weights;
using TransferHub.Web.Components.Pages.Experiments;
using TransferHub.Web.Features.Versions;

namespace TransferHub.Tests.Unit.Web.Experiments;

public sealed class ExperimentFormTests
{
    private static readonly Guid Project = Guid.NewGuid();

    private static ExperimentForm Form(params PretrainedWeightsDto[] weights) =>
        ExperimentForm.For([new StartableVersion(Guid.NewGuid(), Project, "Birds", "photos", 3, 120), new StartableVersion(Guid.NewGuid(), Project, "Birds", "photos", 2, 90)],
            [], weights);

    private static PretrainedWeightsDto Weights(string architecture) =>
        new(Guid.NewGuid(), "imagenet", architecture, 1000, 122, 11_000_000, "abc", 1, "safetensors", "me", DateTimeOffset.UnixEpoch, null);

    [Fact]
    public void TheFirstVersionIsChosenAndLabelledWithItsProjectDatasetAndSize()
    {
        var form = Form();

        form.VersionId.ShouldBe(form.Versions[0].Id);
        form.Versions[0].Label.ShouldBe("Birds / photos v3 (120 items)");
        form.ProjectId.ShouldBe(Project);
        form.ArmCount.ShouldBe(1);
        form.Arms().ShouldBeEmpty();
    }

    [Fact]
    public void ASourceFixesTheArchitectureAddsTwoArmsAndTurnsTheControlOnUnlessItWasTurnedOff()
    {
        var form = Form(Weights("resnet18"));
        var source = form.Sources.Single();

        form.PickSource(source.Id);

        form.Architecture.ShouldBe("resnet18");
        form.Control.ShouldBeTrue();
        form.ArmCount.ShouldBe(4);
        form.Arms().Select(a => (a.Name, a.Strategy, a.SourceWeightsId)).ShouldBe([
            ("feature-extraction", TrainingStrategy.FeatureExtraction, source.Id),
            ("fine-tune", TrainingStrategy.FineTune, source.Id),
            ("frozen-random", TrainingStrategy.FeatureExtraction, null)]);

        var turnedOff = Form(Weights("resnet18"));
        turnedOff.SetControl(false);
        turnedOff.PickSource(turnedOff.Sources.Single().Id);
        turnedOff.Control.ShouldBeFalse();
        turnedOff.ArmCount.ShouldBe(3);
    }

    [Theory]
    [InlineData("10, 25, 100", new[] { 0.1, 0.25, 1.0 }, true)]
    [InlineData("50%;100%", new[] { 0.5, 1.0 }, true)]
    [InlineData("150", new[] { 1.5 }, false)]
    [InlineData("ten", new[] { -1.0 }, false)]
    public void LabelSharesArePercentagesAndWhatDoesNotParseIsInvalid(string text, double[] shares, bool valid)
    {
        var form = Form();
        form.Fractions = text;

        form.Shares().ShouldBe(shares, tolerance: 1e-9);
        form.SharesValid.ShouldBe(valid);
    }

    [Fact]
    public void FixedEpochsReplaceTheStepBudgetInTheRequest()
    {
        var form = Form();
        form.Name = "n";
        form.Steps = 500;
        form.Epochs = 3;

        var request = form.ToRequest();

        (request.Name, request.Epochs, request.Steps, request.DatasetVersionId).ShouldBe(("n", (int?)3, (int?)null, form.VersionId));
    }
}
