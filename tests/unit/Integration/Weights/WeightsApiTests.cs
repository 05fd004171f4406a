using System.Net;
using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using TransferHub.Shared.Datasets;
using TransferHub.Shared.Experiments;
using TransferHub.Shared.Training;
using TransferHub.Shared.Weights;
using TransferHub.Training.Models;
using TransferHub.Training.Weights;
using TransferHub.Tests.Unit.Integration.Datasets;
using TransferHub.Tests.Unit.Integration.Experiments;

namespace TransferHub.Tests.Unit.Integration.Weights;

[Trait("Category", "Slow")]
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

    [Theory]
    [InlineData("{\"w\":{\"dtype\":\"F32\",\"shape\":\"[2]\",\"data_offsets\":[0,8]}}", "shape is not a list")]
    [InlineData("{\"__metadata__\":{\"architecture\":\"small-cnn\",\"num_classes\":2,\"x\":\"y\"}}", "is not a string")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", "overlap")]
    public async Task HostileWeightFilesAreBadRequestsThatStoreNothing(string header, string message)
    {
        var s = await DatasetScenario.CreateAsync(factory);
        var json = System.Text.Encoding.UTF8.GetBytes(header);
        byte[] file = [.. BitConverter.GetBytes((ulong)json.Length), .. json, .. new byte[16]];

        var response = await s.Scientist.PostAsync("/api/weights", Form(file, "hostile.safetensors", ("architecture", "small-cnn"), ("numClasses", "2")));

        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await response.Content.ReadAsStringAsync()).ShouldContain(message);
        (await s.Scientist.GetFromJsonAsync<List<PretrainedWeightsDto>>("/api/weights", Json.Options))!.ShouldNotContain(w => w.Name == "hostile");
        (await factory.CreateClient().GetAsync("/health")).IsSuccessStatusCode.ShouldBeTrue();
    }

    [Fact]
    public async Task AHuggingFaceBertZipImportsAndFineTunesATextBertArmOnATextDataset()
    {
        var s = await DatasetScenario.CreateAsync(factory);
        var dataset = await s.CreateDatasetAsync(DatasetKind.Text, LabelTask.SingleLabel, 0, "pos", "neg");
        var random = new Random(4);
        var jsonl = string.Join('\n', Enumerable.Range(0, 60).Select(i => i % 2 == 0
            ? $"{{\"text\":\"w{random.Next(5, 20)} great w{i}\",\"label\":\"pos\"}}"
            : $"{{\"text\":\"w{random.Next(5, 20)} awful w{i}\",\"label\":\"neg\"}}"));
        await s.ImportAsync(dataset.Id, [("reviews.jsonl", System.Text.Encoding.UTF8.GetBytes(jsonl))]);
        var version = await (await s.Scientist.PostAsJsonAsync($"/api/datasets/{dataset.Id}/versions", new CreateVersionRequest(new SplitRatios(0.6, 0.2, 0.2), 1, null)))
            .Content.ReadFromJsonAsync<VersionDto>(Json.Options);

        var zip = HuggingFaceBertZip();
        var byLabeler = await s.LabelerA.PostAsync("/api/weights", Form(zip, "bert.zip"));
        var imported = await s.Scientist.PostAsync("/api/weights", Form(zip, "bert.zip", ("name", "tiny-bert")));
        var raw = await s.Scientist.PostAsync("/api/weights", Form(SmallCnnWeights(2), "raw.safetensors", ("architecture", "text-bert")));

        byLabeler.StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        imported.StatusCode.ShouldBe(HttpStatusCode.Created, await imported.Content.ReadAsStringAsync());
        var weights = (await imported.Content.ReadFromJsonAsync<PretrainedWeightsDto>(Json.Options))!;
        weights.Architecture.ShouldBe("text-bert");
        raw.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await raw.Content.ReadAsStringAsync()).ShouldContain(".zip");
        var created = await s.Scientist.PostAsJsonAsync($"/api/projects/{s.ProjectId}/experiments", new CreateExperimentRequest("bert", version!.Id, "text-bert",
            [new ArmRequest("fine-tune", TrainingStrategy.FineTune, null, weights.Id)], 1, 2, null, 1e-3, 8));
        created.StatusCode.ShouldBe(HttpStatusCode.Created, await created.Content.ReadAsStringAsync());
        var done = await ExperimentTests.WaitFinishedAsync(factory, s.Scientist, (await created.Content.ReadFromJsonAsync<ExperimentDto>(Json.Options))!.Id);
        done.Runs.ShouldAllBe(r => r.Status == RunStatus.Succeeded);
        done.Results.Select(r => r.Arm).ShouldBe(["baseline", "fine-tune"]);
        // The baseline is the imported encoder's shape from scratch (16 wide, its vocabulary), not BERT-tiny over the dataset's words.
        var baseline = await MetadataOfModelAsync(done.Runs.Single(r => r.Arm == "baseline").Id);
        var fineTuned = await MetadataOfModelAsync(done.Runs.Single(r => r.Arm == "fine-tune").Id);
        TransferHub.Training.Models.Bert.BertConfig.FromJson(baseline["bert_config"]).HiddenSize.ShouldBe(16);
        baseline["vocab"].ShouldBe(fineTuned["vocab"]);
        baseline["vocab"].ShouldContain("awful");
    }

    [Fact]
    public async Task AnOnnxModelImportsWithItsParityCheckAndEveryArmTrainsOnIt()
    {
        var (s, version) = await ExperimentTests.ColoursAsync(factory);
        var onnx = new MemoryStream();
        Google.Protobuf.MessageExtensions.WriteTo(TransferHub.Tests.Support.OnnxModels.ResidualCnn(size: 12), onnx);

        var byLabeler = await s.LabelerA.PostAsync("/api/weights", Form(onnx.ToArray(), "cnn.onnx"));
        var badOrder = await s.Scientist.PostAsync("/api/weights", Form(onnx.ToArray(), "cnn.onnx", ("channelOrder", "grb")));
        var badMean = await s.Scientist.PostAsync("/api/weights", Form(onnx.ToArray(), "cnn.onnx", ("mean", "1,2")));
        var truncated = await s.Scientist.PostAsync("/api/weights", Form(onnx.ToArray()[..(int)(onnx.Length / 2)], "cut.onnx"));
        var imported = await s.Scientist.PostAsync("/api/weights", Form(onnx.ToArray(), "cnn.onnx", ("channelOrder", "bgr"), ("pixelScale", "255"), ("mean", "100, 110, 120"), ("std", "50,50,50")));

        byLabeler.StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        badOrder.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        badMean.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await badMean.Content.ReadAsStringAsync()).ShouldContain("three");
        truncated.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await truncated.Content.ReadAsStringAsync()).ShouldContain("ONNX");
        imported.StatusCode.ShouldBe(HttpStatusCode.Created, await imported.Content.ReadAsStringAsync());
        var weights = (await imported.Content.ReadFromJsonAsync<PretrainedWeightsDto>(Json.Options))!;
        (weights.Architecture, weights.OriginalFormat, weights.NumClasses).ShouldBe(("onnx-graph", "onnx", 3));
        weights.Check.ShouldNotBeNull().ShouldContain("ONNX Runtime");
        (await s.LabelerA.GetFromJsonAsync<List<PretrainedWeightsDto>>("/api/weights", Json.Options))!.Single(w => w.Id == weights.Id).Check.ShouldBe(weights.Check);

        var created = await s.Scientist.PostAsJsonAsync($"/api/projects/{s.ProjectId}/experiments", new CreateExperimentRequest("onnx", version.Id, "onnx-graph",
            [new ArmRequest("frozen", TrainingStrategy.FeatureExtraction, null, weights.Id), new ArmRequest("fine-tune", TrainingStrategy.FineTune, null, weights.Id),
             new ArmRequest("unfreeze", TrainingStrategy.ProgressiveUnfreeze, null, weights.Id)], 1, 2, 12, 3e-3, 8));
        var noSource = await s.Scientist.PostAsJsonAsync($"/api/projects/{s.ProjectId}/experiments", new CreateExperimentRequest("no source", version.Id, "onnx-graph", null, 1, 2, 12, 3e-3, 8));

        created.StatusCode.ShouldBe(HttpStatusCode.Created, await created.Content.ReadAsStringAsync());
        var done = await ExperimentTests.WaitFinishedAsync(factory, s.Scientist, (await created.Content.ReadFromJsonAsync<ExperimentDto>(Json.Options))!.Id);
        done.Runs.ShouldAllBe(r => r.Status == RunStatus.Succeeded);
        done.Results.Select(r => r.Arm).ShouldBe(["baseline", "frozen", "fine-tune", "unfreeze"], ignoreOrder: true);
        // The baseline is the imported graph from scratch: same description, its own values.
        var baseline = await MetadataOfModelAsync(done.Runs.Single(r => r.Arm == "baseline").Id);
        var frozen = await MetadataOfModelAsync(done.Runs.Single(r => r.Arm == "frozen").Id);
        baseline["architecture"].ShouldBe("onnx-graph");
        baseline["onnx_graph"].ShouldBe(frozen["onnx_graph"]);
        // Without a source there is no graph to build: refused up front, not a run that fails later.
        noSource.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await noSource.Content.ReadAsStringAsync()).ShouldContain("imported ONNX model");
    }

    private async Task<Dictionary<string, string>> MetadataOfModelAsync(Guid runId)
    {
        var artifacts = factory.Services.GetRequiredService<TransferHub.Registry.Features.Artifacts.IArtifactStore>();
        var path = Path.Combine(Path.GetTempPath(), $"th-{Guid.NewGuid():N}.safetensors");
        try
        {
            await using (var model = await artifacts.OpenReadAsync(TransferHub.Web.Features.Experiments.RunArtifacts.ModelKey(runId), CancellationToken.None))
            await using (var file = File.Create(path))
            {
                await model.CopyToAsync(file);
            }
            return SafeTensors.ReadMetadata(path);
        }
        finally
        {
            File.Delete(path);
        }
    }

    // A Hugging Face BERT folder (16 wide, one layer, "great"/"awful" in its vocabulary) zipped under a subfolder.
    private static byte[] HuggingFaceBertZip()
    {
        var folder = Directory.CreateTempSubdirectory("th-hf-").FullName;
        try
        {
            var config = new TransferHub.Training.Models.Bert.BertConfig(VocabSize: 40, HiddenSize: 16, Layers: 1, Heads: 2, IntermediateSize: 32, MaxPositions: 160);
            using var model = TransferHub.Tests.Unit.Training.HuggingFaceFolder.Write(folder, config, 2, ["great", "awful"]);
            return TransferHub.Tests.Unit.Training.HuggingFaceFolder.Zip(folder, "tiny-bert");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
