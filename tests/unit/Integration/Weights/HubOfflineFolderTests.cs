using System.Net;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Hosting;
using TransferHub.Shared.Weights;
using TransferHub.Tests.Support;
using TransferHub.Tests.Unit.Integration.Datasets;
using TransferHub.Training.Models;
using TransferHub.Training.Weights;
using TransferHub.Web.Features.Weights.Hub;

namespace TransferHub.Tests.Unit.Integration.Weights;

/// <summary>An air-gapped node: the Hub unreachable (Hub:Offline) and a copy of a Hub cache in Hub:OfflineFolder.</summary>
public sealed class OfflineHubFactory : TransferHubFactory
{
    public string Folder => Path.Combine(DataRoot, "offline-hub");

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        Directory.CreateDirectory(Folder);
        builder.UseSetting("Hub:Endpoint", "http://127.0.0.1:9"); // nothing listens there: any request would fail loudly
        builder.UseSetting("Hub:Offline", "true");
        builder.UseSetting("Hub:OfflineFolder", Folder);
        builder.UseSetting("Hub:CacheFolder", Path.Combine(DataRoot, "hub-cache"));
    }
}

[Trait("Category", "Slow")]
public sealed class HubOfflineFolderTests(OfflineHubFactory factory) : IClassFixture<OfflineHubFactory>
{
    private static byte[] SmallCnn() => HubImportTests.SmallCnn(withMetadata: true);

    private static Dictionary<string, byte[]> Repo(byte[] weights) => new()
    {
        ["model.safetensors"] = weights,
        ["config.json"] = """{"architecture":"small-cnn"}"""u8.ToArray(),
        ["README.md"] = "# a small cnn"u8.ToArray(),
    };

    [Fact]
    public void TheFolderListsARepositoryByBranchOrCommitAndNothingElse()
    {
        var root = Directory.CreateTempSubdirectory("th-hf-list-").FullName;
        var commit = HubCacheFolder.Add(root, "acme/listed", Repo([1, 2, 3]));
        var folder = new HubOfflineFolder(root);

        var byBranch = folder.TryList("acme/listed", "main");
        var byCommit = folder.TryList("acme/listed", commit);

        byBranch.ShouldNotBeNull();
        byBranch.Select(f => f.Path).Order(StringComparer.Ordinal).ShouldBe(["README.md", "config.json", "model.safetensors"]);
        byBranch.Single(f => f.Path == "model.safetensors").Size.ShouldBe(3);
        byCommit!.Count.ShouldBe(3);
        folder.TryList("acme/listed", "v2").ShouldBeNull();
        folder.TryList("acme/absent", "main").ShouldBeNull();
        folder.Repos().ShouldBe(["acme/listed"]);
    }

    [Fact]
    public async Task EveryFileIsCheckedAgainstItsBlobNameSha256ForWeightsGitSha1ForSmallFiles()
    {
        var root = Directory.CreateTempSubdirectory("th-hf-verify-").FullName;
        var commit = HubCacheFolder.Add(root, "acme/checked", Repo([1, 2, 3, 4]));
        var files = new HubOfflineFolder(root).TryList("acme/checked", "main")!;

        foreach (var file in files)
        {
            (await HubOfflineFolder.VerifyAsync(file, CancellationToken.None)).ShouldBe(file.LocalPath);
        }
        File.WriteAllBytes(HubCacheFolder.BlobOf(root, "acme/checked", commit, "config.json"), "{}"u8.ToArray());
        File.WriteAllBytes(HubCacheFolder.BlobOf(root, "acme/checked", commit, "model.safetensors"), [1, 2, 3, 5]);

        var config = await Should.ThrowAsync<HubException>(() => HubOfflineFolder.VerifyAsync(files.Single(f => f.Path == "config.json"), CancellationToken.None));
        var weights = await Should.ThrowAsync<HubException>(() => HubOfflineFolder.VerifyAsync(files.Single(f => f.Path == "model.safetensors"), CancellationToken.None));
        config.Message.ShouldContain("damaged");
        weights.Message.ShouldContain("damaged");
    }

    [Fact]
    public async Task ARepositoryInTheFolderImportsWithoutTheHubAndTheCatalogSaysWhichAreThere()
    {
        var s = await DatasetScenario.CreateAsync(factory);
        HubCacheFolder.Add(factory.Folder, "acme/offline-cnn", Repo(SmallCnn()));
        Directory.CreateDirectory(Path.Combine(factory.Folder, "models--timm--resnet18.tv_in1k"));

        var imported = await s.Scientist.PostAsJsonAsync("/api/weights/hub", new HubImportRequest("acme/offline-cnn", Name: "offline cnn"));
        var catalog = await s.LabelerA.GetFromJsonAsync<List<HubCatalogEntry>>("/api/weights/hub/catalog", Json.Options);

        imported.StatusCode.ShouldBe(HttpStatusCode.Created, await imported.Content.ReadAsStringAsync());
        var weights = (await imported.Content.ReadFromJsonAsync<PretrainedWeightsDto>(Json.Options))!;
        (weights.Name, weights.Architecture, weights.OriginalFormat).ShouldBe(("offline cnn", "small-cnn", "hub:safetensors"));
        catalog!.Single(e => e.Repo == "timm/resnet18.tv_in1k").InOfflineFolder.ShouldBeTrue();
        catalog!.Single(e => e.Repo == "timm/resnet50.tv_in1k").InOfflineFolder.ShouldBeFalse();
        // Read in place: nothing was copied into the download cache.
        Directory.Exists(Path.Combine(factory.DataRoot, "hub-cache", "blobs")).ShouldBeFalse();
    }

    [Theory]
    [InlineData("absent", "not in the offline folder")]
    [InlineData("damaged", "damaged")]
    [InlineData("other-branch", "not in the offline folder")]
    public async Task WhatTheFolderCannotGiveIsRefusedWithoutAskingTheHubAndStoresNothing(string repo, string message)
    {
        var s = await DatasetScenario.CreateAsync(factory);
        var name = $"acme/{repo}-{Guid.NewGuid():N}"[..30];
        if (repo != "absent")
        {
            var weights = SmallCnn();
            var commit = HubCacheFolder.Add(factory.Folder, name, Repo(weights), branch: repo == "other-branch" ? "dev" : "main");
            if (repo == "damaged")
            {
                weights[^1] ^= 0xFF;
                File.WriteAllBytes(HubCacheFolder.BlobOf(factory.Folder, name, commit, "model.safetensors"), weights);
            }
        }
        var before = await s.Admin.GetFromJsonAsync<List<PretrainedWeightsDto>>("/api/weights", Json.Options);

        var response = await s.Scientist.PostAsJsonAsync("/api/weights/hub", new HubImportRequest(name));

        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await response.Content.ReadAsStringAsync()).ShouldContain(message);
        (await s.Admin.GetFromJsonAsync<List<PretrainedWeightsDto>>("/api/weights", Json.Options))!.Count.ShouldBe(before!.Count);
    }
}
