using System.Net;
using System.Net.Http.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using SkiaSharp;
using TransferHub.Shared.Notifications;
using TransferHub.Shared.Registry;
using TransferHub.Tests.Unit.Integration.Datasets;
using TransferHub.Web.Data;

namespace TransferHub.Tests.Unit.Integration.Registry;

[Trait("Category", "Slow")]
public sealed class DriftApiTests(RegistryFixture f) : IClassFixture<RegistryFixture>
{
    private async Task<ModelDto> ProductionModelAsync(bool keepRaw)
    {
        var name = $"drift-{Guid.NewGuid():N}"[..14];
        var created = await f.S.Scientist.PostAsJsonAsync($"/api/projects/{f.S.ProjectId}/models", new RegisterModelRequest(name, f.SourceRun, null, null, 0.5, keepRaw));
        created.StatusCode.ShouldBe(HttpStatusCode.Created, await created.Content.ReadAsStringAsync());
        var transition = await f.S.Scientist.PostAsJsonAsync($"/api/models/{name}/versions/1/transitions", new TransitionRequest(ModelStage.Production, null));
        var approval = (await transition.Content.ReadFromJsonAsync<TransitionResultDto>(Json.Options))!.Approval!;
        (await f.Approver.PostAsJsonAsync($"/api/approvals/{approval.Id}/approve", new DecisionRequest(null))).EnsureSuccessStatusCode();
        return (await created.Content.ReadFromJsonAsync<ModelDto>(Json.Options))!;
    }

    [Fact]
    public async Task PredictionsAndDriftChecksAreMeasuredForOperators()
    {
        using var recorder = new TransferHub.Tests.Unit.Web.MetricsRecorder(f.Services);
        var model = await ProductionModelAsync(keepRaw: false);
        var random = new Random(5);

        await PredictAsync(model, Enumerable.Range(0, 3).Select(i => RegistryFixture.Square(i % 2 == 0, random)));
        (await f.Viewer.PostAsync($"/api/models/{model.Id}/predict", new MultipartFormDataContent { { new ByteArrayContent([1, 2, 3]), "files", "x.png" } }))
            .StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        await RunAsync(model);

        recorder.Tags("transferhub.serving.predict_duration").Select(t => t.Single(x => x.Key == "outcome").Value).ShouldBe(["ok", "error"]);
        recorder.Values("transferhub.drift.check_duration").Count.ShouldBe(1);
    }

    private async Task PredictAsync(ModelDto model, IEnumerable<byte[]> images)
    {
        foreach (var batch in images.Chunk(20))
        {
            using var form = new MultipartFormDataContent();
            foreach (var image in batch)
            {
                form.Add(new ByteArrayContent(image), "files", "x.png");
            }
            (await f.Viewer.PostAsync($"/api/models/{model.Id}/predict", form)).EnsureSuccessStatusCode();
        }
    }

    private async Task<DriftReportDto> RunAsync(ModelDto model)
    {
        // Checks are ordered by time; the app's clock is a fake one that only moves when told.
        f.Clock.Advance(TimeSpan.FromSeconds(1));
        var response = await f.Viewer.PostAsync($"/api/models/{model.Id}/drift/run", null);
        response.StatusCode.ShouldBe(HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<DriftReportDto>(Json.Options))!;
    }

    [Fact]
    public async Task ShiftedTrafficTurnsTheStatusToDriftAndAlertsTheOwners()
    {
        var model = await ProductionModelAsync(keepRaw: true);
        var random = new Random(21);

        await PredictAsync(model, Enumerable.Range(0, 10).Select(i => RegistryFixture.Square(i % 2 == 0, random)));
        var tooFew = await RunAsync(model);
        await PredictAsync(model, Enumerable.Range(0, 50).Select(i => RegistryFixture.Square(i % 2 == 0, random)));
        var calm = await RunAsync(model);
        await PredictAsync(model, Enumerable.Range(0, 150).Select(i => DatasetScenario.Png(12, 12, new SKColor(20, (byte)(200 + i % 50), 40))));
        var shifted = await RunAsync(model);

        tooFew.Status.ShouldBe("not enough data");
        tooFew.WindowSize.ShouldBe(10);
        calm.Status.ShouldNotBe("drift", string.Join("; ", calm.Tests.Select(t => t.Detail)));
        calm.ReferenceSize.ShouldBe(f.Version.LabelCounts.Sum(c => c.Validation + c.Test));
        shifted.Status.ShouldBe("drift");
        shifted.Tests.Single(t => t.Feature == "image brightness").Status.ShouldBe("drift");
        var overview = await f.Viewer.GetFromJsonAsync<DriftOverviewDto>($"/api/models/{model.Id}/drift", Json.Options);
        overview!.Status.ShouldBe("drift");
        overview.History.Select(h => h.Status).ShouldBe(["not enough data", calm.Status, "drift"]);
        overview.LoggedPredictions.ShouldBe(210);
        (await f.S.Admin.GetFromJsonAsync<List<NotificationDto>>("/api/notifications", Json.Options))!.ShouldContain(n => n.Title == $"{model.Name}: drift detected");
        (await f.Viewer.GetFromJsonAsync<List<ModelSummaryDto>>("/api/models", Json.Options))!.Single(m => m.Id == model.Id).DriftStatus.ShouldBe("drift");

        // An open drift alert blocks the next promotion.
        (await f.S.Scientist.PostAsJsonAsync($"/api/models/{model.Id}/versions", new RegisterVersionRequest(f.SecondRun))).EnsureSuccessStatusCode();
        var request = await f.S.Scientist.PostAsJsonAsync($"/api/models/{model.Id}/versions/2/transitions", new TransitionRequest(ModelStage.Production, null));
        (await request.Content.ReadFromJsonAsync<TransitionResultDto>(Json.Options))!.Approval!.Checks.Single(c => c.Name == "open drift alert").Outcome.ShouldBe(PolicyOutcome.Failed);
    }

    [Fact]
    public async Task SendingToLabelingAddsTheDriftedInputsAsNewItemsOnce()
    {
        var model = await ProductionModelAsync(keepRaw: true);
        var before = await f.S.Scientist.GetFromJsonAsync<TransferHub.Shared.Datasets.ItemPage>($"/api/datasets/{f.Dataset.Id}/items?pageSize=1", Json.Options);
        await PredictAsync(model, Enumerable.Range(0, 40).Select(i => DatasetScenario.Png(12, 12, new SKColor(20, (byte)(150 + i), 40))));
        await RunAsync(model);

        var labeler = await f.S.LabelerA.PostAsJsonAsync($"/api/models/{model.Id}/drift/send-to-labeling", new SendToLabelingRequest());
        var sent = await f.S.Scientist.PostAsJsonAsync($"/api/models/{model.Id}/drift/send-to-labeling", new SendToLabelingRequest(MaxConfidence: 1.01));
        var again = await f.S.Scientist.PostAsJsonAsync($"/api/models/{model.Id}/drift/send-to-labeling", new SendToLabelingRequest(MaxConfidence: 1.01));

        var wrongKind = await f.S.Scientist.PostAsJsonAsync($"/api/models/{model.Id}/drift/send-to-labeling", new SendToLabelingRequest(f.TextDataset, 1.01));
        labeler.StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        wrongKind.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        sent.StatusCode.ShouldBe(HttpStatusCode.OK, await sent.Content.ReadAsStringAsync());
        var result = (await sent.Content.ReadFromJsonAsync<SendToLabelingResult>(Json.Options))!;
        (result.DatasetId, result.Added, result.WithoutRawInput).ShouldBe((f.Dataset.Id, 40, 0));
        (await again.Content.ReadFromJsonAsync<SendToLabelingResult>(Json.Options))!.Added.ShouldBe(0);
        var after = await f.S.Scientist.GetFromJsonAsync<TransferHub.Shared.Datasets.ItemPage>($"/api/datasets/{f.Dataset.Id}/items?pageSize=1", Json.Options);
        after!.Total.ShouldBe(before!.Total + 40);
        await using var db = await f.Services.GetRequiredService<IDbContextFactory<AppDbContext>>().CreateDbContextAsync();
        var added = await db.Items.Where(i => i.DatasetId == f.Dataset.Id && i.Origin == $"drift:{model.Id:N}").ToListAsync();
        added.Count.ShouldBe(40);
        added.ShouldAllBe(i => i.FinalLabelIds == null && i.AnnotationCount == 0 && i.BlobKey != null && i.ThumbnailKey != null);
    }

    [Fact]
    public async Task TryingAVersionOnItsPageIsNotLoggedAsTraffic()
    {
        var model = await ProductionModelAsync(keepRaw: true);
        var serving = f.Services.GetRequiredService<TransferHub.Registry.Features.Serving.ServingService>();
        var input = new TransferHub.Registry.Features.Serving.ServedInput(RegistryFixture.Square(true, new Random(50)), null);

        var tried = await serving.PredictAsync(await DatasetScenario.PrincipalOfAsync(f.S.Scientist), model.Id.ToString(), "1", [input], CancellationToken.None, logged: false);

        tried.Version.ShouldBe(1);
        tried.Predictions.Single().Probabilities.Values.Sum().ShouldBe(1, 1e-4);
        await using var db = await f.Services.GetRequiredService<IDbContextFactory<AppDbContext>>().CreateDbContextAsync();
        (await db.Set<TransferHub.Registry.Features.Models.PredictionLog>().CountAsync(p => p.ModelId == model.Id)).ShouldBe(0);
        var outsider = await DatasetScenario.PrincipalOfAsync(f.S.Outsider);
        await Should.ThrowAsync<AppException>(() =>
            serving.PredictAsync(outsider, model.Id.ToString(), "1", [input], CancellationToken.None, logged: false));
    }

    [Fact]
    public async Task OldPredictionsAndTheirRawInputsAreForgotten()
    {
        var model = await ProductionModelAsync(keepRaw: true);
        await PredictAsync(model, [RegistryFixture.Square(true, new Random(40)), RegistryFixture.Square(false, new Random(41))]);
        await using var db = await f.Services.GetRequiredService<IDbContextFactory<AppDbContext>>().CreateDbContextAsync();
        var logs = await db.Set<TransferHub.Registry.Features.Models.PredictionLog>().Where(p => p.ModelId == model.Id).ToListAsync();
        var old = logs[0];
        old.At -= TimeSpan.FromDays(91);
        await db.SaveChangesAsync();
        var store = f.Services.GetRequiredService<TransferHub.Registry.Features.Artifacts.IArtifactStore>();

        var deleted = await f.Services.GetRequiredService<TransferHub.Registry.Features.Drift.DriftMonitor>().PruneAsync(CancellationToken.None);

        deleted.ShouldBeGreaterThanOrEqualTo(1);
        var left = await db.Set<TransferHub.Registry.Features.Models.PredictionLog>().AsNoTracking().Where(p => p.ModelId == model.Id).Select(p => p.Id).ToListAsync();
        left.ShouldBe([logs[1].Id]);
        (await store.GetInfoAsync(old.RawKey!, CancellationToken.None)).ShouldBeNull();
        (await store.GetInfoAsync(logs[1].RawKey!, CancellationToken.None)).ShouldNotBeNull();
    }

    [Fact]
    public async Task TheScheduledCheckJudgesEveryModelInProduction()
    {
        var model = await ProductionModelAsync(keepRaw: false);
        await PredictAsync(model, Enumerable.Range(0, 5).Select(i => RegistryFixture.Square(i % 2 == 0, new Random(i))));
        f.Clock.Advance(TimeSpan.FromSeconds(1));

        await f.Services.GetRequiredService<TransferHub.Registry.Features.Drift.DriftMonitor>().CheckAllAsync(CancellationToken.None);

        var overview = await f.Viewer.GetFromJsonAsync<DriftOverviewDto>($"/api/models/{model.Id}/drift", Json.Options);
        overview!.History.Count.ShouldBe(1);
        (overview.Status, overview.Latest!.WindowSize).ShouldBe(("not enough data", 5));
    }

    [Fact]
    public async Task WithoutKeptRawInputsNothingCanBeSent()
    {
        var model = await ProductionModelAsync(keepRaw: false);
        await PredictAsync(model, [RegistryFixture.Square(true, new Random(4))]);

        var sent = await f.S.Scientist.PostAsJsonAsync($"/api/models/{model.Id}/drift/send-to-labeling", new SendToLabelingRequest(MaxConfidence: 1.01));

        var result = (await sent.Content.ReadFromJsonAsync<SendToLabelingResult>(Json.Options))!;
        (result.Added, result.WithoutRawInput).ShouldBe((0, 1));
    }
}
