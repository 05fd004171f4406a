using System.Net;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using SkiaSharp;
using TransferHub.Shared.Datasets;
using TransferHub.Shared.Experiments;
using TransferHub.Web.Data;
using TransferHub.Tests.Unit.Integration.Experiments;

namespace TransferHub.Tests.Unit.Integration.Datasets;

[Trait("Category", "Slow")]
public sealed class ModelScoringTests(TransferHubFactory factory) : IClassFixture<TransferHubFactory>
{
    [Fact]
    public async Task AFinishedRunPreLabelsUnlabeledItemsAndTheQueueServesTheLeastConfidentFirst()
    {
        var (s, version) = await ExperimentTests.ColoursAsync(factory);
        // Loose images (no class folder) arrive unlabeled; a purple one sits between the two classes.
        var loose = new[] { new SKColor(230, 10, 10), new SKColor(10, 10, 230), new SKColor(140, 10, 140), new SKColor(200, 30, 30) }
            .Select((c, i) => ($"new-{i}.png", DatasetScenario.Png(12, 12, c))).ToArray();
        await s.ImportAsync(version.DatasetId, [("new.zip", DatasetScenario.Zip(loose))]);
        var experiment = await (await s.Scientist.PostAsJsonAsync($"/api/projects/{s.ProjectId}/experiments",
            new CreateExperimentRequest("scorer", version.Id, "small-cnn", null, 1, 3, 12, 3e-3, 8))).Content.ReadFromJsonAsync<ExperimentDto>(Json.Options);
        var run = (await ExperimentTests.WaitFinishedAsync(factory, s.Scientist, experiment!.Id)).Runs.Single();

        var byLabeler = await s.LabelerA.PostAsync($"/api/runs/{run.Id}/score-unlabeled", null);
        var unknown = await s.Scientist.PostAsync($"/api/runs/{Guid.NewGuid()}/score-unlabeled", null);
        var scored = await s.Scientist.PostAsync($"/api/runs/{run.Id}/score-unlabeled", null);

        byLabeler.StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        unknown.StatusCode.ShouldBe(HttpStatusCode.NotFound);
        scored.StatusCode.ShouldBe(HttpStatusCode.OK, await scored.Content.ReadAsStringAsync());
        var result = (await scored.Content.ReadFromJsonAsync<ScoringResult>(Json.Options))!;
        (result.Scored, result.Skipped, result.DatasetId).ShouldBe((4, 0, version.DatasetId));

        await using var db = await factory.Services.GetRequiredService<IDbContextFactory<AppDbContext>>().CreateDbContextAsync();
        var leastSure = await db.ItemScores.Where(x => x.DatasetId == version.DatasetId).OrderBy(x => x.Confidence).FirstAsync();
        await using var hub = new HubConnectionBuilder()
            .WithUrl(new Uri(factory.Server.BaseAddress, LabelingHubContract.Route), o =>
            {
                o.HttpMessageHandlerFactory = _ => factory.Server.CreateHandler();
                o.Transports = HttpTransportType.LongPolling;
                o.AccessTokenProvider = () => Task.FromResult(s.LabelerA.DefaultRequestHeaders.Authorization?.Parameter);
            }).Build();
        await hub.StartAsync();
        await hub.InvokeAsync("Join", version.DatasetId);
        var next = await hub.InvokeAsync<HubItem?>("NextInOrder", version.DatasetId, "LeastConfident", Array.Empty<Guid>());

        next!.Item.Id.ShouldBe(leastSure.ItemId);
        next.Suggestion!.Label.ShouldBeOneOf("red", "blue");
        next.Suggestion.Confidence.ShouldBe(leastSure.Confidence, 1e-9);
        (await Should.ThrowAsync<HubException>(() => hub.InvokeAsync<HubItem?>("NextInOrder", version.DatasetId, "Alphabetical", Array.Empty<Guid>())))
            .Message.ShouldContain("LeastConfident");
    }
}
