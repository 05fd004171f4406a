using System.Net;
using System.Net.Http.Json;
using TransferHub.Shared.Experiments;
using TransferHub.Shared.Training;
using TransferHub.Shared.Weights;
using TransferHub.Training.Models;
using TransferHub.Training.Weights;

namespace TransferHub.Tests.Unit.Integration.Datasets;

public sealed class WeightsApiTests(TransferHubFactory factory) : IClassFixture<TransferHubFactory>
{
    private static MultipartFormDataContent Form(byte[] file, string fileName, params (string Key, string Value)[] fields)
    {
        var form = new MultipartFormDataContent { { new ByteArrayContent(file), "file", fileName } };
        foreach (var (key, value) in fields)
        {
            form.Add(new StringContent(value), key);
        }
        return form;
    }

    private static byte[] SmallCnnWeights(int classes)
    {
        var path = Path.Combine(Path.GetTempPath(), $"th-{Guid.NewGuid():N}.safetensors");
        using (var model = ModelRegistry.Create("small-cnn", classes))
        {
            ModelWeights.Export(model, "small-cnn", path);
        }
        var bytes = File.ReadAllBytes(path);
        File.Delete(path);
        return bytes;
    }

    [Fact]
    public async Task ImportedWeightsAreListedScoredAndTrainAsTheSourceOfAnArm()
    {
        var (s, version) = await ExperimentTests.ColoursAsync(factory);

        var imported = await s.Scientist.PostAsync("/api/weights", Form(SmallCnnWeights(4), "pretrained.safetensors", ("name", "shapes-pretrained")));
        imported.StatusCode.ShouldBe(HttpStatusCode.Created, await imported.Content.ReadAsStringAsync());
        var weights = (await imported.Content.ReadFromJsonAsync<PretrainedWeightsDto>(Json.Options))!;
        var listed = await s.LabelerA.GetFromJsonAsync<List<PretrainedWeightsDto>>("/api/weights", Json.Options);
        var scores = await s.Scientist.PostAsJsonAsync($"/api/versions/{version.Id}/transferability", new TransferabilityRequest(null, 12, [weights.Id]));
        var created = await s.Scientist.PostAsJsonAsync($"/api/projects/{s.ProjectId}/experiments", new CreateExperimentRequest("from weights", version.Id, "small-cnn",
            [new ArmRequest("fe", TrainingStrategy.FeatureExtraction, null, weights.Id)], 1, 2, 12, 3e-3, 8));
        var mismatch = await s.Scientist.PostAsJsonAsync($"/api/projects/{s.ProjectId}/experiments", new CreateExperimentRequest("wrong", version.Id, "small-cnn-16",
            [new ArmRequest("fe", TrainingStrategy.FeatureExtraction, null, weights.Id)], 1, 2, 12, 3e-3, 8));

        (weights.Name, weights.Architecture, weights.NumClasses, weights.Sha256.Length).ShouldBe(("shapes-pretrained", "small-cnn", 4, 64));
        listed!.ShouldContain(w => w.Id == weights.Id);
        scores.StatusCode.ShouldBe(HttpStatusCode.OK, await scores.Content.ReadAsStringAsync());
        (await scores.Content.ReadFromJsonAsync<List<SourceScoreDto>>(Json.Options))!.Single().Kind.ShouldBe("weights");
        created.StatusCode.ShouldBe(HttpStatusCode.Created, await created.Content.ReadAsStringAsync());
        mismatch.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await mismatch.Content.ReadAsStringAsync()).ShouldContain("does not fit small-cnn-16");
        var experimentId = (await created.Content.ReadFromJsonAsync<ExperimentDto>(Json.Options))!.Id;
        var done = await ExperimentTests.WaitFinishedAsync(factory, s.Scientist, experimentId);
        done.Runs.ShouldAllBe(r => r.Status == RunStatus.Succeeded);
        done.Results.Select(r => r.Arm).ShouldBe(["baseline", "fe"]);
    }

    [Fact]
    public async Task BadWeightsAndUnauthorisedImportsAreRefused()
    {
        var s = await DatasetScenario.CreateAsync(factory);

        var labeler = await s.LabelerA.PostAsync("/api/weights", Form(SmallCnnWeights(2), "w.safetensors"));
        var garbage = await s.Scientist.PostAsync("/api/weights", Form("not weights at all, only text"u8.ToArray(), "w.safetensors", ("architecture", "small-cnn"), ("numClasses", "2")));
        var wrongArchitecture = await s.Scientist.PostAsync("/api/weights", Form(SmallCnnWeights(2), "w.safetensors", ("architecture", "resnet18")));
        var datWithoutClasses = await s.Scientist.PostAsync("/api/weights", Form([0x05, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09], "w.dat", ("architecture", "small-cnn")));
        var noFile = await s.Scientist.PostAsync("/api/weights", new MultipartFormDataContent { { new StringContent("x"), "name" } });
        var json = await s.Scientist.PostAsJsonAsync("/api/weights", new { name = "x" });
        var worker = await factory.ClientWithToken("thw_not-a-real-token-000000000000000000000").GetAsync("/api/weights");

        labeler.StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        garbage.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        wrongArchitecture.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await wrongArchitecture.Content.ReadAsStringAsync()).ShouldContain("do not fit");
        datWithoutClasses.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await datWithoutClasses.Content.ReadAsStringAsync()).ShouldContain("numClasses");
        noFile.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        json.StatusCode.ShouldBe(HttpStatusCode.UnsupportedMediaType);
        worker.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        (await s.Scientist.GetFromJsonAsync<List<PretrainedWeightsDto>>("/api/weights", Json.Options))!.ShouldNotContain(w => w.Name == "w");
    }
}
