using System.Net;
using System.Net.Http.Json;
using TransferHub.Shared.Datasets;
using TransferHub.Shared.Experiments;
using TransferHub.Shared.Notifications;
using TransferHub.Shared.Statistics;
using TransferHub.Shared.Projects;
using Xunit.Abstractions;
using TransferHub.Tests.Unit.Integration.Datasets;

namespace TransferHub.Tests.Unit.Integration.Experiments;

[Trait("Category", "Slow")]
public sealed class SampleProjectTests(TransferHubFactory factory, ITestOutputHelper output) : IClassFixture<TransferHubFactory>
{
    [Fact]
    public async Task TheSampleProjectShowsPositiveTransferFromTheShapeSourceAndNegativeFromTheColourSource()
    {
        var s = await DatasetScenario.CreateAsync(factory);
        (await s.LabelerA.PostAsync("/api/sample-project", null)).StatusCode.ShouldBe(HttpStatusCode.Forbidden);

        var response = await s.Admin.PostAsync("/api/sample-project", null);
        response.StatusCode.ShouldBe(HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        var sample = (await response.Content.ReadFromJsonAsync<SampleProjectDto>(Json.Options))!;
        var dataset = await s.Admin.GetFromJsonAsync<DatasetDto>($"/api/datasets/{sample.DatasetId}", Json.Options);
        var done = await ExperimentTests.WaitFinishedAsync(factory, s.Admin, sample.ExperimentId);

        foreach (var r in done.Results)
        {
            output.WriteLine($"{r.Arm}: mean {r.Mean:0.000} [{r.Low:0.000}, {r.High:0.000}]  diff {r.Difference:0.000} [{r.DifferenceLow:0.000}, {r.DifferenceHigh:0.000}]  {r.Verdict}");
        }
        (dataset!.ItemCount, dataset.LabeledCount).ShouldBe((360, 240));
        done.Runs.Count.ShouldBe(20);
        done.Runs.ShouldAllBe(r => r.Status == RunStatus.Succeeded);
        done.Results.Single(r => r.Arm.StartsWith("shapes")).Verdict.ShouldBe(TransferVerdict.Positive);
        done.Results.Single(r => r.Arm.StartsWith("colours")).Verdict.ShouldBe(TransferVerdict.Negative);
        // The colour arm trailed the baseline for many epochs: its owner hears it once, not once per changed number.
        var warned = (await s.Admin.GetFromJsonAsync<List<NotificationDto>>("/api/notifications", Json.Options))!
            .Where(n => n.Title.EndsWith(": possible negative transfer", StringComparison.Ordinal)).ToList();
        warned.ShouldContain(n => n.Body!.Contains("'colours source"));
        warned.GroupBy(n => n.Body![..n.Body!.IndexOf("' trails", StringComparison.Ordinal)]).ShouldAllBe(arm => arm.Count() == 1);
    }
}
