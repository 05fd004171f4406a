using System.Net;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Hosting;
using TransferHub.Shared.Weights;
using TransferHub.Tests.Support;
using TransferHub.Tests.Unit.Integration.Datasets;
using TransferHub.Training.Models;
using TransferHub.Training.Weights;

namespace TransferHub.Tests.Unit.Integration.Weights;

/// <summary>The app pointed at a loopback Hub (Hub:Endpoint) with its token and a short timeout.</summary>
public sealed class HubFactory : TransferHubFactory, IAsyncLifetime
{
    public LoopbackHub Hub { get; private set; } = null!;

    public async Task InitializeAsync() => Hub = await LoopbackHub.StartAsync();

    async Task IAsyncLifetime.DisposeAsync()
    {
        await Hub.DisposeAsync();
        await base.DisposeAsync();
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseSetting("Hub:Endpoint", Hub.Url);
        builder.UseSetting("Hub:Token", LoopbackHub.Token);
        builder.UseSetting("Hub:Timeout", "00:00:03");
        builder.UseSetting("Hub:CacheFolder", Path.Combine(DataRoot, "hub-cache"));
    }
}

[Trait("Category", "Slow")]
public sealed class HubImportTests(HubFactory factory) : IClassFixture<HubFactory>
{
    internal static byte[] SmallCnn(bool withMetadata)
    {
        var path = Path.Combine(Path.GetTempPath(), $"th-{Guid.NewGuid():N}.safetensors");
        using (var model = ModelRegistry.Create("small-cnn", 3))
        {
            if (withMetadata) ModelWeights.Export(model, "small-cnn", path);
            else SafeTensors.Write(path, model.state_dict(), new Dictionary<string, string> { ["format"] = "pt" }); // as timm/torchvision write it
        }
        var bytes = File.ReadAllBytes(path);
        File.Delete(path);
        return bytes;
    }

    private static Dictionary<string, byte[]> BertRepo()
    {
        var folder = Directory.CreateTempSubdirectory("th-hub-bert-").FullName;
        try
        {
            var config = new TransferHub.Training.Models.Bert.BertConfig(VocabSize: 40, HiddenSize: 16, Layers: 1, Heads: 2, IntermediateSize: 32, MaxPositions: 160);
            using var model = TransferHub.Tests.Unit.Training.HuggingFaceFolder.Write(folder, config, 2, ["great", "awful"]);
            var files = Directory.GetFiles(folder).ToDictionary(f => Path.GetFileName(f), File.ReadAllBytes);
            files["README.md"] = "# tiny bert"u8.ToArray();
            return files;
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private string[] BlobsInCache() =>
        Directory.Exists(Path.Combine(factory.DataRoot, "hub-cache", "blobs")) ? Directory.GetFiles(Path.Combine(factory.DataRoot, "hub-cache", "blobs")) : [];

    [Fact]
    public async Task ABertRepositoryAndAWeightsFileImportFromTheHubAndTwoImportsDownloadOnce()
    {
        var s = await DatasetScenario.CreateAsync(factory);
        factory.Hub.Repos["acme/tiny-bert"] = BertRepo();
        factory.Hub.Repos["acme/cnn"] = new() { ["model.safetensors"] = SmallCnn(withMetadata: false), ["pytorch_model.bin"] = [1, 2, 3] };

        var bert = await s.Scientist.PostAsJsonAsync("/api/weights/hub", new HubImportRequest("acme/tiny-bert"));
        var twice = await Task.WhenAll(
            s.Scientist.PostAsJsonAsync("/api/weights/hub", new HubImportRequest("acme/cnn", Architecture: "small-cnn", Name: "cnn a")),
            s.Scientist.PostAsJsonAsync("/api/weights/hub", new HubImportRequest("acme/cnn", Architecture: "small-cnn", Name: "cnn b")));
        var byLabeler = await s.LabelerA.PostAsJsonAsync("/api/weights/hub", new HubImportRequest("acme/cnn", Architecture: "small-cnn"));
        var catalog = await s.LabelerA.GetFromJsonAsync<List<HubCatalogEntry>>("/api/weights/hub/catalog", Json.Options);

        bert.StatusCode.ShouldBe(HttpStatusCode.Created, await bert.Content.ReadAsStringAsync());
        var bertWeights = (await bert.Content.ReadFromJsonAsync<PretrainedWeightsDto>(Json.Options))!;
        (bertWeights.Name, bertWeights.Architecture, bertWeights.OriginalFormat).ShouldBe(("acme/tiny-bert@main", "text-bert", "hub:hf-zip"));
        foreach (var response in twice)
        {
            response.StatusCode.ShouldBe(HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
            (await response.Content.ReadFromJsonAsync<PretrainedWeightsDto>(Json.Options))!.Architecture.ShouldBe("small-cnn");
        }
        factory.Hub.Downloads.Count(d => d.File == "acme/cnn/model.safetensors").ShouldBe(1); // the second import found it in the cache
        factory.Hub.Downloads.ShouldNotContain(d => d.File.EndsWith("README.md") || d.File.EndsWith(".bin"));
        byLabeler.StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        catalog!.ShouldContain(e => e.Repo == "timm/resnet18.a1_in1k" && e.Architecture == "resnet18");
    }

    [Theory]
    [InlineData("timm/efficientnet_b0.ra_in1k", "efficientnet-b0")]
    [InlineData("timm/mobilenetv2_100.ra_in1k", "mobilenet-v2")]
    public async Task TimmsEfficientNetAndMobileNetFromTheCatalogLoadUnderTorchvisionsNames(string repo, string architecture)
    {
        var s = await DatasetScenario.CreateAsync(factory);
        byte[] file;
        using (var model = ModelRegistry.Create(architecture, 4))
        {
            file = TransferHub.Tests.Unit.Training.TimmNamesTests.TimmFile(model, architecture);
        }
        factory.Hub.Repos[repo] = new() { ["model.safetensors"] = file, ["config.json"] = """{"architecture":"x"}"""u8.ToArray() };

        var response = await s.Scientist.PostAsJsonAsync("/api/weights/hub", new HubImportRequest(repo));

        response.StatusCode.ShouldBe(HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        var weights = (await response.Content.ReadFromJsonAsync<PretrainedWeightsDto>(Json.Options))!;
        (weights.Architecture, weights.NumClasses).ShouldBe((architecture, 4)); // the catalog names the architecture; the head is found
    }

    [Fact]
    public async Task ATransferCutHalfwayIsRefusedThenResumedFromWhereItStopped()
    {
        var s = await DatasetScenario.CreateAsync(factory);
        var weights = SmallCnn(withMetadata: true);
        factory.Hub.Repos["acme/cut"] = new() { ["model.safetensors"] = weights };
        factory.Hub.CutOnce["acme/cut/model.safetensors"] = true;

        var first = await s.Scientist.PostAsJsonAsync("/api/weights/hub", new HubImportRequest("acme/cut"));
        var second = await s.Scientist.PostAsJsonAsync("/api/weights/hub", new HubImportRequest("acme/cut"));

        first.StatusCode.ShouldBe(HttpStatusCode.BadGateway);
        (await first.Content.ReadAsStringAsync()).ShouldContain("resumes");
        second.StatusCode.ShouldBe(HttpStatusCode.Created, await second.Content.ReadAsStringAsync());
        var starts = factory.Hub.Downloads.Where(d => d.File == "acme/cut/model.safetensors").Select(d => d.From).ToList();
        starts.Count.ShouldBe(2);
        starts[0].ShouldBe(0);
        // The second request starts where the first stopped (what arrived before the connection dropped, at most half).
        starts[1].ShouldBeInRange(1, weights.Length / 2);
    }

    [Theory]
    [InlineData("wrong-sha", HttpStatusCode.BadGateway, "does not match its SHA-256")]
    [InlineData("missing", HttpStatusCode.BadRequest, "does not exist")]
    [InlineData("gated", HttpStatusCode.BadRequest, "Hub:Token")]
    [InlineData("broken", HttpStatusCode.BadGateway, "answered 500")]
    [InlineData("hangs", HttpStatusCode.BadGateway, "did not answer")]
    [InlineData("pickle-only", HttpStatusCode.BadRequest, "pickle")]
    [InlineData("../../etc", HttpStatusCode.BadRequest, "owner/name")]
    [InlineData("not-weights", HttpStatusCode.BadRequest, "neither safetensors")]
    [InlineData("vit", HttpStatusCode.BadRequest, "model_type 'vit'")]
    public async Task HubFailuresAreExplainedAndStoreNothing(string repo, HttpStatusCode status, string message)
    {
        var s = await DatasetScenario.CreateAsync(factory);
        var name = $"acme/{repo}";
        factory.Hub.Repos[name] = repo switch
        {
            "pickle-only" => new() { ["pytorch_model.bin"] = [1, 2, 3], ["config.json"] = "{}"u8.ToArray() },
            "not-weights" => new() { ["model.safetensors"] = "plain text, not weights"u8.ToArray() },
            "vit" => new() { ["model.safetensors"] = SmallCnn(withMetadata: false), ["config.json"] = """{"model_type":"vit","image_size":224}"""u8.ToArray() },
            _ => new() { ["model.safetensors"] = SmallCnn(withMetadata: true) },
        };
        if (repo == "missing") factory.Hub.Repos.TryRemove(name, out _);
        if (repo == "wrong-sha") factory.Hub.WrongSha[$"{name}/model.safetensors"] = true;
        if (repo == "gated") factory.Hub.Status[name] = 401;
        if (repo == "broken") factory.Hub.Status[name] = 500;
        if (repo == "hangs") factory.Hub.Hang[name] = true;
        var blobsBefore = BlobsInCache().Length;

        var response = await s.Scientist.PostAsJsonAsync("/api/weights/hub", new HubImportRequest(repo.StartsWith("..", StringComparison.Ordinal) ? repo : name, Name: $"hub {repo}"));

        response.StatusCode.ShouldBe(status);
        (await response.Content.ReadAsStringAsync()).ShouldContain(message);
        (await s.Scientist.GetFromJsonAsync<List<PretrainedWeightsDto>>("/api/weights", Json.Options))!.ShouldNotContain(w => w.Name == $"hub {repo}");
        if (repo == "vit")
        {
            factory.Hub.Downloads.ShouldNotContain(d => d.File == $"{name}/model.safetensors"); // refused before the large file
        }
        if (repo == "wrong-sha")
        {
            BlobsInCache().Length.ShouldBe(blobsBefore); // a file that fails its checksum is not kept
        }
    }
}
