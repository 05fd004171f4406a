using System.Net;
using TransferHub.Tests.Unit.Integration.Datasets;

namespace TransferHub.Tests.Unit.Integration.Experiments;

/// <summary>
/// Who may create the sample project. Its training to both verdicts (positive from the shape source, negative from the
/// colour source, at the defaults) is asserted once, in the browser and through the API, by the e2e suite's
/// <c>SampleProjectE2ETests</c>: twenty runs of real training are worth paying for once per CI run, not twice.
/// </summary>
public sealed class SampleProjectTests(TransferHubFactory factory) : IClassFixture<TransferHubFactory>
{
    [Fact]
    public async Task ALabelerMayNotCreateTheSampleProjectAndNothingIsCreated()
    {
        var s = await DatasetScenario.CreateAsync(factory);
        var before = await s.LabelerA.GetStringAsync("/api/projects");

        (await s.LabelerA.PostAsync("/api/sample-project", null)).StatusCode.ShouldBe(HttpStatusCode.Forbidden);

        (await s.LabelerA.GetStringAsync("/api/projects")).ShouldBe(before);
    }
}
