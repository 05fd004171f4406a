using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using SkiaSharp;
using TransferHub.Shared.Datasets;
using TransferHub.Shared.Experiments;
using TransferHub.Shared.Identity;
using TransferHub.Shared.Projects;
using TransferHub.Shared.Training;
using TransferHub.Tests.Unit.Integration.Datasets;
using TransferHub.Web.Features.Experiments;

namespace TransferHub.Tests.Unit.Integration.Registry;

/// <summary>
/// One app with finished runs to register, trained once for the whole class: red versus blue squares, two baseline
/// seeds and a feature-extraction arm transferred from the first (so lineage has a source).
/// </summary>
public sealed class RegistryFixture : TransferHubFactory, IAsyncLifetime
{
    public DatasetScenario S { get; private set; } = null!;
    public HttpClient Approver { get; private set; } = null!;
    public string ApproverId { get; private set; } = "";
    public HttpClient Viewer { get; private set; } = null!;
    public DatasetDto Dataset { get; private set; } = null!;
    public VersionDto Version { get; private set; } = null!;
    public Guid SourceRun { get; private set; }
    public Guid SecondRun { get; private set; }
    public Guid TransferRun { get; private set; }
    public Guid TextRun { get; private set; }
    public Guid TextDataset { get; private set; }
    public Guid WeightsRun { get; private set; }
    public string WeightsSha256 { get; private set; } = "";

    public async Task InitializeAsync()
    {
        S = await DatasetScenario.CreateAsync(this);
        var tag = Guid.NewGuid().ToString("N")[..8];
        (ApproverId, Approver) = await CreateUserAsync($"approver-{tag}@example.test", AppRoles.Approver);
        (await S.Admin.PostAsJsonAsync($"/api/projects/{S.ProjectId}/members", new AddMemberRequest(ApproverId, null, ProjectRole.Approver))).EnsureSuccessStatusCode();
        var (viewerId, viewer) = await CreateUserAsync($"viewer-{tag}@example.test", AppRoles.Labeler);
        Viewer = viewer;
        (await S.Admin.PostAsJsonAsync($"/api/projects/{S.ProjectId}/members", new AddMemberRequest(viewerId, null, ProjectRole.Viewer))).EnsureSuccessStatusCode();

        Dataset = await S.CreateDatasetAsync(DatasetKind.Image);
        var random = new Random(3);
        var entries = Enumerable.Range(0, 100).Select(i => ($"{(i % 2 == 0 ? "red" : "blue")}/{i}.png", Square(i % 2 == 0, random))).ToArray();
        await S.ImportAsync(Dataset.Id, [("colours.zip", DatasetScenario.Zip(entries))]);
        Version = (await (await S.Scientist.PostAsJsonAsync($"/api/datasets/{Dataset.Id}/versions", new CreateVersionRequest(new SplitRatios(0.4, 0.3, 0.3), 1, null)))
            .Content.ReadFromJsonAsync<VersionDto>(Json.Options))!;
        var source = await TrainAsync(new CreateExperimentRequest("source", Version.Id, "small-cnn", null, Seeds: 2, Epochs: 3, ImageSize: 12, LearningRate: 3e-3, BatchSize: 8));
        SourceRun = source.Runs.Single(r => r.Seed == 1).Id;
        SecondRun = source.Runs.Single(r => r.Seed == 2).Id;
        var transfer = await TrainAsync(new CreateExperimentRequest("transfer", Version.Id, "small-cnn",
            [new ArmRequest("frozen source", TrainingStrategy.FeatureExtraction, SourceRun)], Seeds: 1, Epochs: 2, ImageSize: 12, LearningRate: 3e-3, BatchSize: 8));
        TransferRun = transfer.Runs.Single(r => r.Arm == "frozen source").Id;

        var path = Path.Combine(Path.GetTempPath(), $"th-{Guid.NewGuid():N}.safetensors");
        using (var pretrained = TransferHub.Training.Models.ModelRegistry.Create("small-cnn", 4))
        {
            TransferHub.Training.Weights.ModelWeights.Export(pretrained, "small-cnn", path);
        }
        using var form = new MultipartFormDataContent { { new ByteArrayContent(await File.ReadAllBytesAsync(path)), "file", "pretrained.safetensors" }, { new StringContent("pretrained"), "name" } };
        File.Delete(path);
        var imported = await S.Scientist.PostAsync("/api/weights", form);
        imported.EnsureSuccessStatusCode();
        var weights = (await imported.Content.ReadFromJsonAsync<TransferHub.Shared.Weights.PretrainedWeightsDto>(Json.Options))!;
        WeightsSha256 = weights.Sha256;
        var fromWeights = await TrainAsync(new CreateExperimentRequest("from weights", Version.Id, "small-cnn",
            [new ArmRequest("imported", TrainingStrategy.FeatureExtraction, null, weights.Id)], Seeds: 1, Epochs: 2, ImageSize: 12, LearningRate: 3e-3, BatchSize: 8));
        WeightsRun = fromWeights.Runs.Single(r => r.Arm == "imported").Id;

        var reviews = await S.CreateDatasetAsync(DatasetKind.Text);
        TextDataset = reviews.Id;
        var lines = Enumerable.Range(0, 80).Select(i => i % 2 == 0
            ? $"{{\"text\":\"great lovely excellent film {i}\",\"label\":\"good\"}}"
            : $"{{\"text\":\"awful boring terrible film {i}\",\"label\":\"bad\"}}");
        await S.ImportAsync(reviews.Id, [("reviews.jsonl", System.Text.Encoding.UTF8.GetBytes(string.Join('\n', lines)))]);
        var textVersion = (await (await S.Scientist.PostAsJsonAsync($"/api/datasets/{reviews.Id}/versions", new CreateVersionRequest(new SplitRatios(0.5, 0.25, 0.25), 1, null)))
            .Content.ReadFromJsonAsync<VersionDto>(Json.Options))!;
        var text = await TrainAsync(new CreateExperimentRequest("reviews", textVersion.Id, "text-bag", null, Seeds: 1, Epochs: 3, ImageSize: null, LearningRate: 1e-2, BatchSize: 8));
        TextRun = text.Runs.Single().Id;
    }

    /// <summary>A red or a blue square with a little noise in its shade.</summary>
    public static byte[] Square(bool red, Random random, int size = 12)
    {
        var jitter = (byte)random.Next(0, 60);
        return DatasetScenario.Png(size, size, red ? new SKColor((byte)(195 + jitter), jitter, jitter) : new SKColor(jitter, jitter, (byte)(195 + jitter)));
    }

    private async Task<ExperimentDto> TrainAsync(CreateExperimentRequest request)
    {
        var created = await S.Scientist.PostAsJsonAsync($"/api/projects/{S.ProjectId}/experiments", request);
        created.EnsureSuccessStatusCode();
        var id = (await created.Content.ReadFromJsonAsync<ExperimentDto>(Json.Options))!.Id;
        var finished = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var subscription = Services.GetRequiredService<ExperimentEvents>().Subscribe(id, async () =>
        {
            var now = await S.Scientist.GetFromJsonAsync<ExperimentDto>($"/api/experiments/{id}", Json.Options);
            if (now!.Runs.All(r => r.Status is RunStatus.Succeeded or RunStatus.Failed or RunStatus.Cancelled))
            {
                finished.TrySetResult();
            }
        });
        var current = await S.Scientist.GetFromJsonAsync<ExperimentDto>($"/api/experiments/{id}", Json.Options);
        if (current!.Runs.Any(r => r.Status is RunStatus.Pending or RunStatus.Running))
        {
            await finished.Task.WaitAsync(TimeSpan.FromMinutes(3));
        }
        var done = (await S.Scientist.GetFromJsonAsync<ExperimentDto>($"/api/experiments/{id}", Json.Options))!;
        done.Runs.ShouldAllBe(r => r.Status == RunStatus.Succeeded);
        return done;
    }

    Task IAsyncLifetime.DisposeAsync() => Task.CompletedTask;
}
