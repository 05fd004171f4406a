using System.Net;
using System.Net.Http.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using SkiaSharp;
using TransferHub.Shared.Datasets;
using TransferHub.Shared.Experiments;
using TransferHub.Shared.Training;
using TransferHub.Web.Data;
using TransferHub.Web.Features.Workers;
using TransferHub.Web.Features.Experiments;
using TransferHub.Tests.Unit.Integration.Datasets;
using TransferHub.Tests.Unit.Integration.Workers;

namespace TransferHub.Tests.Unit.Integration.Experiments;

/// <summary>Runs that cannot succeed fail once, with the reason, instead of burning their attempts.</summary>
[Trait("Category", "Slow")]
public sealed class RunFaultTests(ManualWorkerFactory factory) : IClassFixture<ManualWorkerFactory>
{
    private InProcessWorker Worker => factory.Services.GetServices<IHostedService>().OfType<InProcessWorker>().Single();

    private async Task<ExperimentDto> ClaimAndRunAsync(DatasetScenario s, ExperimentDto experiment)
    {
        var run = await factory.Services.GetRequiredService<JobQueue>().ClaimAsync(Worker.WorkerId, CancellationToken.None);
        run!.ExperimentId.ShouldBe(experiment.Id);
        await Worker.ExecuteRunAsync(run, CancellationToken.None);
        return (await s.Scientist.GetFromJsonAsync<ExperimentDto>($"/api/experiments/{experiment.Id}", Json.Options))!;
    }

    [Fact]
    public async Task ARunWhoseDatasetWasDeletedFailsAtOnceSayingSo()
    {
        var (s, version) = await ExperimentTests.ColoursAsync(factory);
        var experiment = await (await s.Scientist.PostAsJsonAsync($"/api/projects/{s.ProjectId}/experiments",
            new CreateExperimentRequest("orphan", version.Id, "small-cnn", null, 1, 1, 12, null, 8))).Content.ReadFromJsonAsync<ExperimentDto>(Json.Options);
        (await s.Admin.DeleteAsync($"/api/datasets/{version.DatasetId}")).StatusCode.ShouldBe(HttpStatusCode.NoContent);

        var after = await ClaimAndRunAsync(s, experiment!);

        var run = after.Runs.Single();
        (run.Status, run.Attempt).ShouldBe((RunStatus.Failed, 1));
        run.Error.ShouldBe("The dataset version of this run was deleted.");
    }

    [Fact]
    public async Task ARunWhoseLossDivergesFailsAtOnceWithAdviceInsteadOfRetrying()
    {
        var (s, version) = await ExperimentTests.ColoursAsync(factory);
        var experiment = await (await s.Scientist.PostAsJsonAsync($"/api/projects/{s.ProjectId}/experiments",
            new CreateExperimentRequest("too fast", version.Id, "small-cnn", null, 1, 3, 12, 1e-3, 8))).Content.ReadFromJsonAsync<ExperimentDto>(Json.Options);
        // The API refuses such a rate; a run stored with one (an older release, a remote client's plan) must still fail cleanly.
        await using (var db = await factory.Services.GetRequiredService<IDbContextFactory<AppDbContext>>().CreateDbContextAsync())
        {
            var stored = await db.TrainingRuns.SingleAsync(r => r.ExperimentId == experiment!.Id);
            stored.SpecJson = stored.SpecJson.Replace("\"learningRate\":0.001", "\"learningRate\":1E+30", StringComparison.Ordinal);
            stored.SpecJson.ShouldContain("1E+30");
            await db.SaveChangesAsync();
        }

        var after = await ClaimAndRunAsync(s, experiment!);

        var run = after.Runs.Single();
        (run.Status, run.Attempt).ShouldBe((RunStatus.Failed, 1));
        run.Error!.ShouldContain("Lower the learning rate");
    }

    [Fact]
    public async Task AVersionWithAClassMissingFromItsTrainingSplitIsRefusedNamingTheClass()
    {
        var s = await DatasetScenario.CreateAsync(factory);
        var dataset = await s.CreateDatasetAsync(DatasetKind.Image);
        var entries = Enumerable.Range(0, 40).Select(i => ($"{(i % 2 == 0 ? "red" : "blue")}/{i}.png",
            DatasetScenario.Png(8, 8, i % 2 == 0 ? new SKColor((byte)(150 + i), 0, 0) : new SKColor(0, 0, (byte)(150 + i)))))
            .Append(("green/only.png", DatasetScenario.Png(8, 8, SKColors.Green))).ToArray();
        await s.ImportAsync(dataset.Id, [("c.zip", DatasetScenario.Zip(entries))]);
        var version = await (await s.Scientist.PostAsJsonAsync($"/api/datasets/{dataset.Id}/versions", new CreateVersionRequest(new SplitRatios(0.6, 0.2, 0.2), 1, null)))
            .Content.ReadFromJsonAsync<VersionDto>(Json.Options);
        // Our splitter keeps every class in training; a version made otherwise (an older release, a hand-edited database) may not.
        await using (var db = await factory.Services.GetRequiredService<IDbContextFactory<AppDbContext>>().CreateDbContextAsync())
        {
            var green = await db.LabelClasses.Where(l => l.DatasetId == dataset.Id && l.Name == "green").Select(l => l.Id).SingleAsync();
            var moved = await db.VersionItems.Where(v => v.VersionId == version!.Id && v.LabelIds == green.ToString())
                .ExecuteUpdateAsync(u => u.SetProperty(v => v.Split, Split.Test));
            moved.ShouldBe(1);
        }

        var refused = await s.Scientist.PostAsJsonAsync($"/api/projects/{s.ProjectId}/experiments",
            new CreateExperimentRequest("missing", version!.Id, "small-cnn", null, 1, 1, 8, null, 8));

        refused.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await refused.Content.ReadAsStringAsync()).ShouldContain("No training example in this version for: green");
    }

    [Fact]
    public async Task ArmOverridesReachTheirRunsAndBadOnesAreRefused()
    {
        var (s, version) = await ExperimentTests.ColoursAsync(factory);
        var created = await s.Scientist.PostAsJsonAsync($"/api/projects/{s.ProjectId}/experiments", new CreateExperimentRequest("overrides", version.Id, "small-cnn",
            [new ArmRequest("baseline", TrainingStrategy.Baseline, null, null, new ArmOverrides(Epochs: 4)),
             new ArmRequest("control", TrainingStrategy.FeatureExtraction, null, null, new ArmOverrides(LearningRate: 0.01, Augment: true))],
            1, 2, 12, 0.001, 8, Augment: false, BalanceClasses: true));
        var bad = await s.Scientist.PostAsJsonAsync($"/api/projects/{s.ProjectId}/experiments", new CreateExperimentRequest("bad", version.Id, "small-cnn",
            [new ArmRequest("control", TrainingStrategy.FeatureExtraction, null, null, new ArmOverrides(LearningRate: -1))], 1, 2, 12, null, 8));

        created.StatusCode.ShouldBe(HttpStatusCode.Created, await created.Content.ReadAsStringAsync());
        bad.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        var experimentId = (await created.Content.ReadFromJsonAsync<ExperimentDto>(Json.Options))!.Id;
        var runs = (await s.Scientist.GetFromJsonAsync<ExperimentDto>($"/api/experiments/{experimentId}", Json.Options))!.Runs;
        runs.Single(r => r.Arm == "baseline").Epochs.ShouldBe(4); // progress and time left count the arm's own epochs
        (await s.Scientist.PostAsync($"/api/experiments/{experimentId}/cancel", null)).StatusCode.ShouldBe(HttpStatusCode.NoContent); // nothing to train here
        await using var db = await factory.Services.GetRequiredService<IDbContextFactory<AppDbContext>>().CreateDbContextAsync();
        var specs = (await db.TrainingRuns.Where(r => r.ExperimentId == experimentId).ToListAsync())
            .ToDictionary(r => r.Arm, r => System.Text.Json.JsonSerializer.Deserialize<RunPlan>(r.SpecJson, ExperimentService.Json)!.Spec);
        (specs["baseline"].Epochs, specs["baseline"].LearningRate, specs["baseline"].Augment, specs["baseline"].BalanceClasses).ShouldBe((4, 0.001, false, true));
        (specs["control"].Epochs, specs["control"].LearningRate, specs["control"].Augment).ShouldBe((2, 0.01, true));
    }
}
