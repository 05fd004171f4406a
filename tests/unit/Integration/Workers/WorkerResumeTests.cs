using System.Net.Http.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using TransferHub.Shared.Experiments;
using TransferHub.Web.Data;
using TransferHub.Web.Features.Workers;
using TransferHub.Web.Features.Experiments;
using TransferHub.Tests.Unit.Integration.Datasets;

namespace TransferHub.Tests.Unit.Integration.Workers;

/// <summary>A factory whose in-process worker does not poll: the test drives the worker by hand.</summary>
public sealed class ManualWorkerFactory : TransferHubFactory
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseSetting("Workers:InProcess", "false");
    }
}

[Trait("Category", "Slow")]
public sealed class WorkerResumeTests(ManualWorkerFactory factory) : IClassFixture<ManualWorkerFactory>
{
    [Fact]
    public async Task AWorkerKilledMidRunIsReplacedAndTheNextResumesFromItsCheckpointWithoutDuplicateMetrics()
    {
        var s = await DatasetScenario.CreateAsync(factory);
        var dataset = await s.CreateDatasetAsync(TransferHub.Shared.Datasets.DatasetKind.Image);
        var entries = Enumerable.Range(0, 30).Select(i => ($"{(i % 2 == 0 ? "red" : "blue")}/{i}.png",
            DatasetScenario.Png(12, 12, i % 2 == 0 ? new SkiaSharp.SKColor((byte)(200 + i), 20, 20) : new SkiaSharp.SKColor(20, 20, (byte)(200 + i))))).ToArray();
        await s.ImportAsync(dataset.Id, [("c.zip", DatasetScenario.Zip(entries))]);
        var version = await (await s.Scientist.PostAsJsonAsync($"/api/datasets/{dataset.Id}/versions", new TransferHub.Shared.Datasets.CreateVersionRequest(null, 1, null)))
            .Content.ReadFromJsonAsync<TransferHub.Shared.Datasets.VersionDto>(Json.Options);
        var experiment = await (await s.Scientist.PostAsJsonAsync($"/api/projects/{s.ProjectId}/experiments",
            new CreateExperimentRequest("resume", version!.Id, "small-cnn", null, Seeds: 1, Epochs: 5, ImageSize: 12, LearningRate: 3e-3, BatchSize: 8)))
            .Content.ReadFromJsonAsync<ExperimentDto>(Json.Options);
        var queue = factory.Services.GetRequiredService<JobQueue>();
        var worker = factory.Services.GetServices<IHostedService>().OfType<InProcessWorker>().Single();
        var runId = experiment!.Runs.Single().Id;

        // The first worker trains until its third epoch is stored, then dies (its token is cut mid-run).
        worker.WorkerId = "first";
        var first = await queue.ClaimAsync("first", CancellationToken.None);
        using var kill = new CancellationTokenSource();
        using var watch = factory.Services.GetRequiredService<ExperimentEvents>().Subscribe(experiment.Id, async () =>
        {
            if (await EpochsAsync(runId) is { Count: >= 3 })
            {
                await kill.CancelAsync();
            }
        });
        await Should.ThrowAsync<OperationCanceledException>(() => worker.ExecuteRunAsync(first!, kill.Token));

        // Its lease runs out; the next claim gets the run back with the checkpoint it uploaded.
        factory.Clock.Advance(TimeSpan.FromMinutes(2));
        worker.WorkerId = "second";
        var second = await queue.ClaimAsync("second", CancellationToken.None);
        second!.RunId.ShouldBe(runId);
        second.Attempt.ShouldBe(2);
        second.CheckpointKey.ShouldBe(RunArtifacts.CheckpointKey(runId));
        var updates = 0;
        using (factory.Services.GetRequiredService<ExperimentEvents>().Subscribe(experiment.Id, () => { Interlocked.Increment(ref updates); return Task.CompletedTask; }))
        {
            await worker.ExecuteRunAsync(second, CancellationToken.None);
        }

        var done = await s.Scientist.GetFromJsonAsync<ExperimentDto>($"/api/experiments/{experiment.Id}", Json.Options);
        done!.Runs.Single().Status.ShouldBe(RunStatus.Succeeded, done.Runs.Single().Error);
        (await EpochsAsync(runId)).ShouldBe([1, 2, 3, 4, 5]);
        // One update per epoch trained plus one at the end: resuming after epoch 1 trains 4 epochs, a restart would train 5.
        updates.ShouldBe(5);
    }

    private async Task<List<int>> EpochsAsync(Guid runId)
    {
        await using var db = await factory.Services.GetRequiredService<IDbContextFactory<AppDbContext>>().CreateDbContextAsync();
        return await db.RunMetrics.Where(m => m.RunId == runId).OrderBy(m => m.Epoch).Select(m => m.Epoch).ToListAsync();
    }
}
