using System.Net;
using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using SkiaSharp;
using TransferHub.Shared.Datasets;
using TransferHub.Shared.Experiments;
using TransferHub.Shared.Statistics;
using TransferHub.Shared.Training;
using TransferHub.Training.Strategies;
using TransferHub.Web.Features.Experiments;
using TransferHub.Tests.Unit.Integration.Datasets;

namespace TransferHub.Tests.Unit.Integration.Experiments;

[Trait("Category", "Slow")]
public sealed class ExperimentTests(TransferHubFactory factory) : IClassFixture<TransferHubFactory>
{
    /// <summary>A labeled version of red versus blue squares, made through the API.</summary>
    internal static async Task<(DatasetScenario S, VersionDto Version)> ColoursAsync(TransferHubFactory factory)
    {
        var s = await DatasetScenario.CreateAsync(factory);
        var dataset = await s.CreateDatasetAsync(DatasetKind.Image);
        var random = new Random(3);
        var entries = Enumerable.Range(0, 40).Select(i =>
        {
            var red = i % 2 == 0;
            var jitter = (byte)random.Next(0, 60);
            return ($"{(red ? "red" : "blue")}/{i}.png", DatasetScenario.Png(12, 12, red ? new SKColor((byte)(195 + jitter), jitter, jitter) : new SKColor(jitter, jitter, (byte)(195 + jitter))));
        }).ToArray();
        await s.ImportAsync(dataset.Id, [("colours.zip", DatasetScenario.Zip(entries))]);
        var version = await (await s.Scientist.PostAsJsonAsync($"/api/datasets/{dataset.Id}/versions", new CreateVersionRequest(new SplitRatios(0.6, 0.2, 0.2), 1, null)))
            .Content.ReadFromJsonAsync<VersionDto>(Json.Options);
        return (s, version!);
    }

    private Task<ExperimentDto> WaitFinishedAsync(DatasetScenario s, Guid experimentId) => WaitFinishedAsync(factory, s.Scientist, experimentId);

    /// <summary>Waits (on the experiment's change events, up to three minutes) until no run is pending or running.</summary>
    internal static async Task<ExperimentDto> WaitFinishedAsync(TransferHubFactory factory, HttpClient reader, Guid experimentId)
    {
        var finished = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var subscription = factory.Services.GetRequiredService<ExperimentEvents>().Subscribe(experimentId, async () =>
        {
            var now = await reader.GetFromJsonAsync<ExperimentDto>($"/api/experiments/{experimentId}", Json.Options);
            if (now!.Runs.All(r => r.Status is RunStatus.Succeeded or RunStatus.Failed or RunStatus.Cancelled))
            {
                finished.TrySetResult();
            }
        });
        var current = await reader.GetFromJsonAsync<ExperimentDto>($"/api/experiments/{experimentId}", Json.Options);
        if (current!.Runs.Any(r => r.Status is RunStatus.Pending or RunStatus.Running))
        {
            await finished.Task.WaitAsync(TimeSpan.FromMinutes(6));
        }
        return (await reader.GetFromJsonAsync<ExperimentDto>($"/api/experiments/{experimentId}", Json.Options))!;
    }

    [Fact]
    public async Task BaselineAndTransferArmsTrainOnTheInProcessWorkerAndGetAVerdict()
    {
        var (s, version) = await ColoursAsync(factory);
        var create = await s.Scientist.PostAsJsonAsync($"/api/projects/{s.ProjectId}/experiments",
            new CreateExperimentRequest("source", version.Id, "small-cnn", null, Seeds: 1, Epochs: 3, ImageSize: 12, LearningRate: 3e-3, BatchSize: 8));
        create.StatusCode.ShouldBe(HttpStatusCode.Created, await create.Content.ReadAsStringAsync());
        var source = await WaitFinishedAsync(s, (await create.Content.ReadFromJsonAsync<ExperimentDto>(Json.Options))!.Id);
        var sourceRun = source.Runs.Single();
        sourceRun.Status.ShouldBe(RunStatus.Succeeded, sourceRun.Error);

        var scores = await s.LabelerA.PostAsJsonAsync($"/api/versions/{version.Id}/transferability", new TransferabilityRequest([sourceRun.Id], 12));
        scores.StatusCode.ShouldBe(HttpStatusCode.OK, await scores.Content.ReadAsStringAsync());
        var ranked = (await scores.Content.ReadFromJsonAsync<List<SourceScoreDto>>(Json.Options))!;
        ranked.Single().SourceId.ShouldBe(sourceRun.Id);
        double.IsFinite(ranked[0].LogMe!.Value).ShouldBeTrue();
        ranked[0].Leep!.Value.ShouldBeLessThanOrEqualTo(0); // LEEP is an average log-likelihood
        (await s.Outsider.PostAsJsonAsync($"/api/versions/{version.Id}/transferability", new TransferabilityRequest([sourceRun.Id], 12))).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await s.Scientist.PostAsJsonAsync($"/api/versions/{version.Id}/transferability", new TransferabilityRequest([Guid.NewGuid()], 12))).StatusCode.ShouldBe(HttpStatusCode.BadRequest);

        var transfer = await s.Scientist.PostAsJsonAsync($"/api/projects/{s.ProjectId}/experiments", new CreateExperimentRequest(
            "transfer", version.Id, "small-cnn", [new ArmRequest("frozen source", TrainingStrategy.FeatureExtraction, sourceRun.Id), new ArmRequest("", TrainingStrategy.FeatureExtraction, null)],
            Seeds: 2, Epochs: 3, ImageSize: 12, LearningRate: 3e-3, BatchSize: 8));
        transfer.StatusCode.ShouldBe(HttpStatusCode.Created, await transfer.Content.ReadAsStringAsync());
        var done = await WaitFinishedAsync(s, (await transfer.Content.ReadFromJsonAsync<ExperimentDto>(Json.Options))!.Id);

        done.Runs.Count.ShouldBe(6);
        done.Runs.ShouldAllBe(r => r.Status == RunStatus.Succeeded && r.TestMacroF1 != null && r.EpochsDone >= 1);
        done.Results.Select(r => r.Arm).ShouldBe(["baseline", "frozen source", "frozen-random"]);
        done.Curves.Select(c => c.Arm).ShouldBe(["baseline", "frozen source", "frozen-random"]);
        done.Curves[0].Points.ShouldAllBe(p => p.Seeds == 2 && p.ValidationF1Min <= p.ValidationF1 && p.ValidationF1 <= p.ValidationF1Max);
        var arm = done.Results[1];
        (arm.Seeds, arm.DifferenceLow.HasValue, arm.DifferenceHigh.HasValue).ShouldBe((2, true, true));
        // Three epochs of 24 images are nine optimizer steps: the baseline cannot have converged, so no verdict is given.
        done.Runs.Where(r => r.Arm == "baseline").ShouldAllBe(r => r.Converged == false && r.ConvergenceNote!.StartsWith("only "));
        arm.Verdict.ShouldBe(TransferVerdict.Unreliable);
        arm.Reason.ShouldStartWith("baseline under-trained");
        done.Results[2].Verdict.ShouldBe(TransferVerdict.Control); // the frozen-random arm is a control, not a transfer
        var csv = await s.LabelerA.GetStringAsync($"/api/experiments/{done.Id}/export?format=csv");
        var lines = csv.Trim().Split('\n');
        lines[0].ShouldBe("arm,strategy,seed,label_fraction,status,attempt,epochs,test_macro_f1,test_accuracy,budget_steps,steps,converged,convergence,arm_verdict,arm_verdict_reason");
        lines.Length.ShouldBe(7);
        lines.ShouldContain(l => l.StartsWith("frozen source,FeatureExtraction,2,1,Succeeded,"));
        var json = await s.LabelerA.GetFromJsonAsync<System.Text.Json.JsonElement>($"/api/experiments/{done.Id}/export?format=json");
        json.GetProperty("results").GetArrayLength().ShouldBe(3);
        var predictions = json.GetProperty("predictions");
        predictions.GetArrayLength().ShouldBe(6);
        predictions[0].GetProperty("labels").GetArrayLength().ShouldBe(predictions[0].GetProperty("predicted").GetArrayLength());
        arm.BootstrapLow.ShouldNotBeNull();
        (arm.TotalTrainSeconds!.Value > 0, arm.Device).ShouldBe((true, "CPU"));
        done.Runs[0].PerClass!.Select(c => c.Class).Order().ShouldBe(["blue", "red"]); // per-class F1 carries the label names
        arm.BootstrapLow!.Value.ShouldBeLessThanOrEqualTo(arm.BootstrapHigh!.Value);
        var metrics = await s.LabelerA.GetFromJsonAsync<List<RunMetricDto>>($"/api/runs/{done.Runs[0].Id}/metrics", Json.Options);
        metrics!.Select(m => m.Epoch).ShouldBe(Enumerable.Range(1, metrics!.Count));
    }

    [Fact]
    public async Task EachConfusionCellLeadsToItsTestItemsWithTheirLabels()
    {
        var (s, version) = await ColoursAsync(factory);
        var created = await s.Scientist.PostAsJsonAsync($"/api/projects/{s.ProjectId}/experiments",
            new CreateExperimentRequest("cells", version.Id, "small-cnn", null, Seeds: 1, Epochs: 2, ImageSize: 12, LearningRate: 3e-3, BatchSize: 8));
        created.StatusCode.ShouldBe(HttpStatusCode.Created, await created.Content.ReadAsStringAsync());
        var run = (await WaitFinishedAsync(s, (await created.Content.ReadFromJsonAsync<ExperimentDto>(Json.Options))!.Id)).Runs.Single();
        run.Status.ShouldBe(RunStatus.Succeeded, run.Error);
        run.KnowsTestItems.ShouldBeTrue();
        run.Classes.ShouldBe(["blue", "red"]);

        var seen = new List<Guid>();
        for (var actual = 0; actual < 2; actual++)
        for (var predicted = 0; predicted < 2; predicted++)
        {
            // A Labeler of the project reads them; the items are the cell's, labeled as its row says.
            var cell = await s.LabelerA.GetFromJsonAsync<ConfusionCellDto>($"/api/runs/{run.Id}/confusion/{actual}/{predicted}", Json.Options);
            (cell!.TrueClass, cell.PredictedClass, cell.Count).ShouldBe((run.Classes![actual], run.Classes[predicted], run.TestConfusion![actual][predicted]));
            cell.Items.Count.ShouldBe(cell.Count);
            cell.Items.ShouldAllBe(i => i.FinalLabels.SequenceEqual(new[] { run.Classes[actual] }));
            seen.AddRange(cell.Items.Select(i => i.Id));
        }
        seen.Count.ShouldBe(run.TestConfusion!.Sum(row => row.Sum())); // every test item in exactly one cell
        seen.Count.ShouldBeGreaterThan(0);
        seen.Distinct().Count().ShouldBe(seen.Count);

        (await s.Outsider.GetAsync($"/api/runs/{run.Id}/confusion/0/0")).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await s.LabelerA.GetAsync($"/api/runs/{Guid.NewGuid()}/confusion/0/0")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        foreach (var (actual, predicted, field) in new[] { (2, 0, "actual"), (0, -1, "predicted") })
        {
            var bad = await s.LabelerA.GetAsync($"/api/runs/{run.Id}/confusion/{actual}/{predicted}");
            bad.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
            (await bad.Content.ReadAsStringAsync()).ShouldContain(field);
        }
    }

    [Fact]
    public async Task LabelFractionsRunEveryArmAndSeedAtEachShareAndGiveALabelEfficiencyCurve()
    {
        var (s, version) = await ColoursAsync(factory);
        var bad = await s.Scientist.PostAsJsonAsync($"/api/projects/{s.ProjectId}/experiments", new CreateExperimentRequest("bad", version.Id, "small-cnn", null,
            1, 2, 12, null, 8, LabelFractions: [0, 1]));
        var created = await s.Scientist.PostAsJsonAsync($"/api/projects/{s.ProjectId}/experiments", new CreateExperimentRequest("fractions", version.Id, "small-cnn",
            [new ArmRequest("", TrainingStrategy.FeatureExtraction, null)], 2, 2, 12, 3e-3, 8, LabelFractions: [1, 0.5]));

        bad.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        created.StatusCode.ShouldBe(HttpStatusCode.Created, await created.Content.ReadAsStringAsync());
        var done = await WaitFinishedAsync(s, (await created.Content.ReadFromJsonAsync<ExperimentDto>(Json.Options))!.Id);
        done.Runs.Count.ShouldBe(8);
        done.Runs.ShouldAllBe(r => r.Status == RunStatus.Succeeded);
        done.Runs.Select(r => r.LabelFraction).Distinct().Order().ShouldBe([0.5, 1]);
        done.Results.ShouldAllBe(r => r.Seeds == 2); // verdicts use the full-label runs only
        done.Efficiency!.Select(p => (p.Arm, p.Fraction)).ShouldBe([("baseline", 0.5), ("baseline", 1), ("frozen-random", 0.5), ("frozen-random", 1)]);
        done.EfficiencyNotes!.Count.ShouldBe(2);
        done.EfficiencyNotes![0].ShouldStartWith("'frozen-random' ");
        // The labels were imported, not labeled in the app: savings in labels, no hours.
        var saved = done.Savings.ShouldHaveSingleItem();
        (saved.Arm, saved.TimedLabels, saved.Hours).ShouldBe(("frozen-random", 0, (double?)null));
        done.EfficiencyNotes![1].ShouldStartWith("'frozen-random' saves");
        done.Curves.ShouldAllBe(c => c.Points.All(p => p.Seeds == 2));

        // Those runs give the estimate of the next experiment its pace.
        var estimate = await s.Scientist.GetFromJsonAsync<ExperimentEstimate>(
            $"/api/versions/{version.Id}/experiment-estimate?architecture=small-cnn&imageSize=12&arms=3&seeds=2&epochs=4&fractions=0.5,1", Json.Options);
        var unknown = await s.Scientist.GetFromJsonAsync<ExperimentEstimate>(
            $"/api/versions/{version.Id}/experiment-estimate?architecture=resnet18&imageSize=12&arms=1&seeds=1&epochs=1", Json.Options);
        estimate!.Runs.ShouldBe(12);
        estimate.Seconds!.Value.ShouldBeGreaterThan(0);
        estimate.Basis.ShouldContain("ms per step");
        estimate.Budget.ShouldBe("4 epochs");
        var budgeted = await s.Scientist.GetFromJsonAsync<ExperimentEstimate>(
            $"/api/versions/{version.Id}/experiment-estimate?architecture=small-cnn&imageSize=12&arms=1&seeds=1&batchSize=8", Json.Options);
        (budgeted!.Steps, budgeted.Budget).ShouldBe((400, "≈ 402 steps = 134 epochs of 3 batches of 8"));
        (await s.Scientist.GetAsync($"/api/versions/{version.Id}/experiment-estimate?architecture=small-cnn&fractions=x")).StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (unknown!.Runs, unknown.Seconds).ShouldBe((1, (double?)null));
        (await s.Outsider.GetAsync($"/api/versions/{version.Id}/experiment-estimate?architecture=small-cnn")).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task BadDefinitionsAreRefused()
    {
        var (s, version) = await ColoursAsync(factory);

        var unknownArch = await s.Scientist.PostAsJsonAsync($"/api/projects/{s.ProjectId}/experiments",
            new CreateExperimentRequest("x", version.Id, "resnet1000", null, null, null, null, null, null));
        var textArch = await s.Scientist.PostAsJsonAsync($"/api/projects/{s.ProjectId}/experiments",
            new CreateExperimentRequest("x", version.Id, "text-bag", null, null, null, null, null, null));
        var noSource = await s.Scientist.PostAsJsonAsync($"/api/projects/{s.ProjectId}/experiments",
            new CreateExperimentRequest("x", version.Id, "small-cnn", [new ArmRequest("ft", TrainingStrategy.FineTune, Guid.NewGuid())], null, null, null, null, null));
        var labeler = await s.LabelerA.PostAsJsonAsync($"/api/projects/{s.ProjectId}/experiments",
            new CreateExperimentRequest("x", version.Id, "small-cnn", null, null, null, null, null, null));
        var outsider = await s.Outsider.GetAsync($"/api/projects/{s.ProjectId}/experiments");
        var multi = await s.CreateDatasetAsync(DatasetKind.Text, LabelTask.MultiLabel);
        await s.ImportAsync(multi.Id, [("m.jsonl", System.Text.Encoding.UTF8.GetBytes(string.Join('\n', Enumerable.Range(0, 6).Select(i => $"{{\"text\":\"t{i}\",\"label\":[\"a\",\"b\"]}}"))))]);
        var multiVersion = await (await s.Scientist.PostAsJsonAsync($"/api/datasets/{multi.Id}/versions", new CreateVersionRequest(null, null, null))).Content.ReadFromJsonAsync<VersionDto>(Json.Options);
        var multiLabel = await s.Scientist.PostAsJsonAsync($"/api/projects/{s.ProjectId}/experiments",
            new CreateExperimentRequest("x", multiVersion!.Id, "text-bag", null, null, null, null, null, null));

        unknownArch.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        textArch.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        noSource.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        labeler.StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        outsider.StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        multiLabel.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await multiLabel.Content.ReadAsStringAsync()).ShouldContain("multi-label training is not supported yet");
    }

    [Fact]
    public async Task TheTransferabilityTrackRecordComparesTheRankingWithTheArmsThatFollowed()
    {
        var (s, version) = await ColoursAsync(factory);
        var sources = await WaitFinishedAsync(s, (await (await s.Scientist.PostAsJsonAsync($"/api/projects/{s.ProjectId}/experiments",
            new CreateExperimentRequest("sources", version.Id, "small-cnn", null, Seeds: 2, Epochs: 2, ImageSize: 12, BatchSize: 8)))
            .Content.ReadFromJsonAsync<ExperimentDto>(Json.Options))!.Id);
        var (first, second) = (sources.Runs[0].Id, sources.Runs[1].Id);
        var empty = await s.Scientist.GetFromJsonAsync<TransferabilityRecordDto>($"/api/projects/{s.ProjectId}/transferability-record", Json.Options);
        (await s.Scientist.PostAsJsonAsync($"/api/versions/{version.Id}/transferability", new TransferabilityRequest([first, second], 12))).EnsureSuccessStatusCode();
        await WaitFinishedAsync(s, (await (await s.Scientist.PostAsJsonAsync($"/api/projects/{s.ProjectId}/experiments", new CreateExperimentRequest("ranked", version.Id, "small-cnn",
            [new ArmRequest("from first", TrainingStrategy.FeatureExtraction, first), new ArmRequest("from second", TrainingStrategy.FeatureExtraction, second)],
            Seeds: 1, Epochs: 2, ImageSize: 12, BatchSize: 8))).Content.ReadFromJsonAsync<ExperimentDto>(Json.Options))!.Id);

        var record = await s.LabelerA.GetFromJsonAsync<TransferabilityRecordDto>($"/api/projects/{s.ProjectId}/transferability-record", Json.Options);

        empty!.Experiments.ShouldBe(0);
        record!.Experiments.ShouldBe(1);
        record.LogMeTopHits.ShouldBeInRange(0, 1);
        (record.LogMeTau is null or (>= -1 and <= 1)).ShouldBeTrue(); // null when both arms scored the same (τ is undefined)
        record.Summary.ShouldStartWith("In this project LogME's first choice had the best arm in ");
        (await s.Outsider.GetAsync($"/api/projects/{s.ProjectId}/transferability-record")).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task UnconvergedRunsContinueFromTheirCheckpointsWithALargerBudget()
    {
        var (s, version) = await ColoursAsync(factory);
        var created = await s.Scientist.PostAsJsonAsync($"/api/projects/{s.ProjectId}/experiments", new CreateExperimentRequest("short", version.Id, "small-cnn",
            [new ArmRequest("", TrainingStrategy.FeatureExtraction, null)], Seeds: 2, Epochs: 3, ImageSize: 12, LearningRate: 3e-3, BatchSize: 8));
        var first = await WaitFinishedAsync(s, (await created.Content.ReadFromJsonAsync<ExperimentDto>(Json.Options))!.Id);
        first.Runs.ShouldAllBe(r => r.Converged == false && r.StepsDone == 9);
        var before = await s.Scientist.GetFromJsonAsync<List<RunMetricDto>>($"/api/runs/{first.Runs[0].Id}/metrics", Json.Options);

        (await s.LabelerA.PostAsJsonAsync($"/api/experiments/{first.Id}/continue", new ContinueRunsRequest())).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await s.Scientist.PostAsJsonAsync($"/api/experiments/{first.Id}/continue", new ContinueRunsRequest(5))).StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        var continued = await s.Scientist.PostAsJsonAsync($"/api/experiments/{first.Id}/continue", new ContinueRunsRequest(300));
        continued.StatusCode.ShouldBe(HttpStatusCode.OK, await continued.Content.ReadAsStringAsync());
        (await continued.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>()).GetProperty("continued").GetInt32().ShouldBe(4);
        var done = await WaitFinishedAsync(s, first.Id);

        done.Runs.ShouldAllBe(r => r.Status == RunStatus.Succeeded && r.BudgetSteps == 300 && r.StepsDone > 9 && r.Converged == true);
        done.Results.Single(r => r.Arm == "baseline").Reason.ShouldBeNull();
        // The history goes on from the checkpoint: the first three epochs are kept, later ones added.
        var after = await s.Scientist.GetFromJsonAsync<List<RunMetricDto>>($"/api/runs/{first.Runs[0].Id}/metrics", Json.Options);
        after!.Take(3).Select(m => m.Metrics.TrainLoss).ShouldBe(before!.Select(m => m.Metrics.TrainLoss));
        after!.Max(m => m.Epoch).ShouldBeGreaterThan(3);
        (await s.Scientist.PostAsJsonAsync($"/api/experiments/{first.Id}/continue", new ContinueRunsRequest())).StatusCode.ShouldBe(HttpStatusCode.Conflict);
    }

    [Fact]
    public async Task ASweepChoosesEachArmsLearningRateOnceForAllItsSeeds()
    {
        var (s, version) = await ColoursAsync(factory);
        // A learning rate of 5 diverges; the sweep tries AdamW's useful rates whatever was asked. The baseline keeps a rate of its own.
        var created = await s.Scientist.PostAsJsonAsync($"/api/projects/{s.ProjectId}/experiments", new CreateExperimentRequest("sweep", version.Id, "small-cnn",
            [new ArmRequest("", TrainingStrategy.FeatureExtraction, null), new ArmRequest("baseline", TrainingStrategy.Baseline, null, Overrides: new ArmOverrides(LearningRate: 2e-3))],
            Seeds: 2, Epochs: 3, ImageSize: 12, LearningRate: 5, BatchSize: 8, FindLearningRate: true));
        created.StatusCode.ShouldBe(HttpStatusCode.Created, await created.Content.ReadAsStringAsync());

        var done = await WaitFinishedAsync(s, (await created.Content.ReadFromJsonAsync<ExperimentDto>(Json.Options))!.Id);

        done.Runs.ShouldAllBe(r => r.Status == RunStatus.Succeeded);
        var control = done.Runs.Where(r => r.Arm == "frozen-random").ToList();
        control.ShouldAllBe(r => r.FindsLearningRate && r.LearningRateNote != null && r.LearningRateNote.StartsWith("Sweep of 5 rates"));
        control.Select(r => r.LearningRate).Distinct().Count().ShouldBe(1); // once per arm: both seeds train at the same rate
        LearningRateSweep.Rates.ShouldContain(control[0].LearningRate!.Value);
        control[0].HeadLearningRate!.Value.ShouldBe(control[0].LearningRate!.Value * 10, 1e-12); // the head keeps its ratio
        done.Runs.Where(r => r.Arm == "baseline").ShouldAllBe(r => !r.FindsLearningRate && r.LearningRateNote == null && r.LearningRate == 2e-3);
    }

    [Fact]
    public async Task SeedsAreAddedWhileATransferArmIsInconclusiveUpToTheCap()
    {
        // Noise images with coin-flip labels: nothing transfers and nothing is learnable, so the arm stays undecided.
        var s = await DatasetScenario.CreateAsync(factory);
        var dataset = await s.CreateDatasetAsync(DatasetKind.Image);
        var random = new Random(11);
        await s.ImportAsync(dataset.Id, [("noise.zip", DatasetScenario.Zip([.. Enumerable.Range(0, 60).Select(i => ($"{(random.Next(2) == 0 ? "a" : "b")}/{i}.png", DatasetScenario.Noise(12, 12, SKEncodedImageFormat.Png, random)))]))]);
        var version = (await (await s.Scientist.PostAsJsonAsync($"/api/datasets/{dataset.Id}/versions", new CreateVersionRequest(new SplitRatios(0.6, 0.2, 0.2), 1, null)))
            .Content.ReadFromJsonAsync<VersionDto>(Json.Options))!;
        var source = await WaitFinishedAsync(s, (await (await s.Scientist.PostAsJsonAsync($"/api/projects/{s.ProjectId}/experiments",
            new CreateExperimentRequest("source", version.Id, "small-cnn", null, Seeds: 1, ImageSize: 12, BatchSize: 8, Steps: 100)))
            .Content.ReadFromJsonAsync<ExperimentDto>(Json.Options))!.Id);
        (await s.Scientist.PostAsJsonAsync($"/api/projects/{s.ProjectId}/experiments", new CreateExperimentRequest("x", version.Id, "small-cnn", Seeds: 3, MaxSeeds: 2)))
            .StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await s.Scientist.PostAsJsonAsync($"/api/projects/{s.ProjectId}/experiments", new CreateExperimentRequest("x", version.Id, "small-cnn", Seeds: 3, MaxSeeds: 21)))
            .StatusCode.ShouldBe(HttpStatusCode.BadRequest);

        var created = await s.Scientist.PostAsJsonAsync($"/api/projects/{s.ProjectId}/experiments", new CreateExperimentRequest("undecided", version.Id, "small-cnn",
            [new ArmRequest("fine-tune", TrainingStrategy.FineTune, source.Runs[0].Id)], Seeds: 2, ImageSize: 12, BatchSize: 8, Steps: 120, PatienceSteps: 0,
            MinimumGain: 0.001, MaxSeeds: 4));
        created.StatusCode.ShouldBe(HttpStatusCode.Created, await created.Content.ReadAsStringAsync());
        var id = (await created.Content.ReadFromJsonAsync<ExperimentDto>(Json.Options))!.Id;
        // Finished means no run waiting: the added seeds' runs are queued before the last of the first ones is announced.
        var done = await WaitFinishedAsync(s, id);

        done.MaxSeeds.ShouldBe(4);
        done.Seeds.ShouldBeGreaterThan(2, string.Join("; ", done.Results.Select(r => $"{r.Arm}: {r.VerdictText} ({r.Reason})")));
        done.Runs.Count.ShouldBe(2 * done.Seeds);
        done.Runs.ShouldAllBe(r => r.Status == RunStatus.Succeeded);
        done.Runs.GroupBy(r => r.Arm).ShouldAllBe(arm => arm.Select(r => r.Seed).Order().SequenceEqual(Enumerable.Range(1, done.Seeds)));
        var verdict = done.Results.Single(r => r.Arm == "fine-tune");
        verdict.Seeds.ShouldBe(done.Seeds);
        // Either the added seeds decided it, or it stayed inconclusive only because the cap was reached.
        (verdict.Verdict != TransferVerdict.Inconclusive || done.Seeds == 4).ShouldBeTrue(verdict.VerdictText);
    }

    public static TheoryData<string, string> BadSettings => new()
    {
        { """{"learningRate": -1}""", "learningRate" },
        { """{"learningRate": 0}""", "learningRate" },
        { """{"learningRate": 1e30}""", "learningRate" },
        { """{"headLearningRate": -0.1}""", "headLearningRate" },
        { """{"batchSize": 0}""", "batchSize" },
        { """{"batchSize": -5}""", "batchSize" },
        { """{"steps": 5}""", "steps" },
        { """{"steps": 400, "epochs": 10}""", "steps" },
        { """{"minimumGain": 2}""", "minimumGain" },
        { """{"patienceSteps": 500, "steps": 400}""", "patienceSteps" },
        { """{"arms": [{"name": "f", "strategy": "FeatureExtraction", "overrides": {"batchSize": 0}}]}""", "arms" },
    };

    [Theory]
    [MemberData(nameof(BadSettings))]
    public async Task BadTrainingSettingsAreRefusedNamingTheField(string settings, string field)
    {
        var (s, version) = await ColoursAsync(factory);
        var body = System.Text.Json.Nodes.JsonNode.Parse(settings)!.AsObject();
        body["name"] = "bad";
        body["datasetVersionId"] = version.Id.ToString();
        body["architecture"] = "small-cnn";

        var response = await s.Scientist.PostAsync($"/api/projects/{s.ProjectId}/experiments",
            new StringContent(body.ToJsonString(), System.Text.Encoding.UTF8, "application/json"));

        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest, await response.Content.ReadAsStringAsync());
        var problem = await response.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>();
        problem.GetProperty("errors").TryGetProperty(field, out _).ShouldBeTrue(problem.ToString());
        (await s.Scientist.GetFromJsonAsync<List<ExperimentDto>>($"/api/projects/{s.ProjectId}/experiments", Json.Options))!.ShouldBeEmpty();
    }
}
