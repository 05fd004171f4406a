using System.Net;
using System.Net.Http.Json;
using System.Security.Claims;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using SkiaSharp;
using TransferHub.Shared.Datasets;
using TransferHub.Web.Features.Labeling;

namespace TransferHub.Tests.Unit.Integration.Datasets;

public sealed class VersionTests(TransferHubFactory factory) : IClassFixture<TransferHubFactory>
{
    private static string Jsonl(IEnumerable<(string Text, string Label)> rows) =>
        string.Join('\n', rows.Select(r => System.Text.Json.JsonSerializer.Serialize(new { text = r.Text, label = r.Label })));

    private async Task<(DatasetScenario S, DatasetDto Dataset)> LabeledTextAsync(IEnumerable<(string Text, string Label)> rows)
    {
        var s = await DatasetScenario.CreateAsync(factory);
        var dataset = await s.CreateDatasetAsync(DatasetKind.Text);
        await s.ImportAsync(dataset.Id, [("data.jsonl", Encoding.UTF8.GetBytes(Jsonl(rows)))]);
        return (s, dataset);
    }

    private static IEnumerable<(string, string)> Rows(string label, int count) => Enumerable.Range(0, count).Select(i => ($"{label} example {i}", label));

    [Fact]
    public async Task SnapshotSplitsEachClassAndWarnsAboutTinyOnes()
    {
        var (s, dataset) = await LabeledTextAsync([.. Rows("cat", 20), .. Rows("dog", 20), .. Rows("axolotl", 2)]);

        var response = await s.Scientist.PostAsJsonAsync($"/api/datasets/{dataset.Id}/versions", new CreateVersionRequest(new SplitRatios(0.6, 0.2, 0.2), 7, "first"));

        response.StatusCode.ShouldBe(HttpStatusCode.Created);
        var version = (await response.Content.ReadFromJsonAsync<VersionDto>(Json.Options))!;
        (version.Number, version.ItemCount).ShouldBe((1, 42));
        version.LabelCounts.Single(c => c.Label == "cat").ShouldBe(new LabelSplitCount("cat", 12, 4, 4));
        version.LabelCounts.Single(c => c.Label == "axolotl").ShouldBe(new LabelSplitCount("axolotl", 2, 0, 0));
        version.Warnings.ShouldContain(w => w.StartsWith("'axolotl' has only 2 item(s)"));
        version.ContentHash.Length.ShouldBe(64);
    }

    [Fact]
    public async Task SameDataAndSeedGiveTheSameContentHash()
    {
        var (s, dataset) = await LabeledTextAsync([.. Rows("a", 10), .. Rows("b", 10)]);

        var v1 = await (await s.Scientist.PostAsJsonAsync($"/api/datasets/{dataset.Id}/versions", new CreateVersionRequest(null, 1, null))).Content.ReadFromJsonAsync<VersionDto>(Json.Options);
        var v2 = await (await s.Scientist.PostAsJsonAsync($"/api/datasets/{dataset.Id}/versions", new CreateVersionRequest(null, 1, null))).Content.ReadFromJsonAsync<VersionDto>(Json.Options);
        var v3 = await (await s.Scientist.PostAsJsonAsync($"/api/datasets/{dataset.Id}/versions", new CreateVersionRequest(null, 2, null))).Content.ReadFromJsonAsync<VersionDto>(Json.Options);

        (v1!.Number, v2!.Number).ShouldBe((1, 2));
        v2.ContentHash.ShouldBe(v1.ContentHash);
        v3!.ContentHash.ShouldNotBe(v1.ContentHash);
    }

    [Fact]
    public async Task DiffShowsRelabeledAndAddedItems()
    {
        var (s, dataset) = await LabeledTextAsync([.. Rows("a", 5), .. Rows("b", 5)]);
        var v1 = (await (await s.Scientist.PostAsJsonAsync($"/api/datasets/{dataset.Id}/versions", new CreateVersionRequest(null, 1, null))).Content.ReadFromJsonAsync<VersionDto>(Json.Options))!;
        var items = (await s.Scientist.GetFromJsonAsync<ItemPage>($"/api/datasets/{dataset.Id}/items?label=a", Json.Options))!.Items;
        (await s.Scientist.PutAsJsonAsync($"/api/items/{items[0].Id}/resolution", new AnnotationRequest(["b"]))).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await s.Admin.PutAsJsonAsync($"/api/items/{items[0].Id}/resolution", new AnnotationRequest(["b"]))).EnsureSuccessStatusCode();
        await s.ImportAsync(dataset.Id, [("more.jsonl", Encoding.UTF8.GetBytes(Jsonl([("brand new", "a")])))]);
        var v2 = (await (await s.Scientist.PostAsJsonAsync($"/api/datasets/{dataset.Id}/versions", new CreateVersionRequest(null, 1, null))).Content.ReadFromJsonAsync<VersionDto>(Json.Options))!;

        var diff = await s.LabelerA.GetFromJsonAsync<VersionDiffDto>($"/api/versions/{v1.Id}/diff/{v2.Id}", Json.Options);

        (diff!.Added, diff.Removed, diff.Relabeled).ShouldBe((1, 0, 1));
        diff.Examples.Single().ShouldEndWith("a → b");
    }

    [Fact]
    public async Task ItemsAwaitingReviewStayOutWithAWarning()
    {
        var s = await DatasetScenario.CreateAsync(factory);
        var dataset = await s.CreateDatasetAsync(DatasetKind.Text, LabelTask.SingleLabel, 100, "yes", "no");
        await s.ImportAsync(dataset.Id, [("a.txt", "one\ntwo\nthree\nfour"u8.ToArray())]);
        var items = (await s.LabelerA.GetFromJsonAsync<ItemPage>($"/api/datasets/{dataset.Id}/items", Json.Options))!.Items;
        foreach (var (item, i) in items.Select((x, i) => (x, i)))
        {
            await s.LabelerA.PutAsJsonAsync($"/api/items/{item.Id}/annotation", new AnnotationRequest(["yes"]));
            await s.LabelerB.PutAsJsonAsync($"/api/items/{item.Id}/annotation", new AnnotationRequest([i == 0 ? "no" : "yes"]));
        }

        var version = await (await s.Scientist.PostAsJsonAsync($"/api/datasets/{dataset.Id}/versions", new CreateVersionRequest(null, null, null))).Content.ReadFromJsonAsync<VersionDto>(Json.Options);

        version!.ItemCount.ShouldBe(3);
        version.Warnings[0].ShouldStartWith("1 item(s) with disagreeing labels wait for a reviewer");
    }

    [Fact]
    public async Task BadRequestsAreRefused()
    {
        var s = await DatasetScenario.CreateAsync(factory);
        var empty = await s.CreateDatasetAsync(DatasetKind.Text, LabelTask.SingleLabel, 0, "x");
        var (s2, labeled) = await LabeledTextAsync(Rows("a", 4));

        (await s.Scientist.PostAsJsonAsync($"/api/datasets/{empty.Id}/versions", new CreateVersionRequest(null, null, null))).StatusCode.ShouldBe(HttpStatusCode.Conflict);
        (await s2.Scientist.PostAsJsonAsync($"/api/datasets/{labeled.Id}/versions", new CreateVersionRequest(new SplitRatios(0.5, 0.5, 0.5), null, null))).StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await s2.LabelerA.PostAsJsonAsync($"/api/datasets/{labeled.Id}/versions", new CreateVersionRequest(null, null, null))).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        var v = (await (await s2.Scientist.PostAsJsonAsync($"/api/datasets/{labeled.Id}/versions", new CreateVersionRequest(null, null, null))).Content.ReadFromJsonAsync<VersionDto>(Json.Options))!;
        (await s2.Scientist.GetAsync($"/api/versions/{v.Id}/export?format=xlsx")).StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await s2.Scientist.GetAsync($"/api/versions/{v.Id}/export?format=imagefolder")).StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await s2.Outsider.GetAsync($"/api/versions/{v.Id}/export?format=csv")).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
    }

    [Theory]
    [InlineData("csv")]
    [InlineData("jsonl")]
    public async Task TextExportImportsBackUnchanged(string format)
    {
        var rows = new[]
        {
            ("plain", "a"), ("=HYPERLINK(\"http://evil\",\"x\")", "b"), ("comma, \"quote\"\nand newline", "a"), ("+1 -2 @3", "b"),
            ("'=already quoted", "=sum"), ("'apostrophe", "'b"),
        };
        var (s, dataset) = await LabeledTextAsync(rows);
        var version = (await (await s.Scientist.PostAsJsonAsync($"/api/datasets/{dataset.Id}/versions", new CreateVersionRequest(null, null, null))).Content.ReadFromJsonAsync<VersionDto>(Json.Options))!;

        var export = await s.Scientist.GetAsync($"/api/versions/{version.Id}/export?format={format}");
        var bytes = await export.Content.ReadAsByteArrayAsync();
        var copy = await s.CreateDatasetAsync(DatasetKind.Text);
        var report = await s.ImportAsync(copy.Id, [($"export.{format}", bytes)]);

        export.Headers.GetValues("X-Content-Hash").Single().ShouldBe(version.ContentHash);
        if (format == "csv")
        {
            Encoding.UTF8.GetString(bytes).ShouldContain("\"'=HYPERLINK(");
        }
        report.Added.ShouldBe(6);
        var original = await AllAsync(s, dataset.Id);
        var imported = await AllAsync(s, copy.Id);
        imported.ShouldBe(original);
    }

    [Fact]
    public async Task ImageFolderExportImportsBackWithTheSameImagesAndLabels()
    {
        var s = await DatasetScenario.CreateAsync(factory);
        var dataset = await s.CreateDatasetAsync(DatasetKind.Image);
        var colors = new[] { SKColors.Red, SKColors.Blue };
        var entries = Enumerable.Range(0, 8).Select(i => ($"{(i % 2 == 0 ? "red" : "blue")}/{i}.png", DatasetScenario.Png(10 + i, 10, colors[i % 2]))).ToArray();
        await s.ImportAsync(dataset.Id, [("colors.zip", DatasetScenario.Zip(entries))]);
        var version = (await (await s.Scientist.PostAsJsonAsync($"/api/datasets/{dataset.Id}/versions", new CreateVersionRequest(null, null, null))).Content.ReadFromJsonAsync<VersionDto>(Json.Options))!;

        var zip = await s.Scientist.GetByteArrayAsync($"/api/versions/{version.Id}/export?format=imagefolder");
        var copy = await s.CreateDatasetAsync(DatasetKind.Image);
        var report = await s.ImportAsync(copy.Id, [("export.zip", zip)]);

        report.Added.ShouldBe(8);
        (await AllAsync(s, copy.Id)).ShouldBe(await AllAsync(s, dataset.Id));
    }

    [Fact]
    public async Task DeletingADatasetOrItsProjectTakesItsVersionsAlong()
    {
        var (s, dataset) = await LabeledTextAsync(Rows("a", 6));
        (await s.Scientist.PostAsJsonAsync($"/api/datasets/{dataset.Id}/versions", new CreateVersionRequest(null, null, null))).EnsureSuccessStatusCode();
        var second = await s.CreateDatasetAsync(DatasetKind.Text);
        await s.ImportAsync(second.Id, [("b.jsonl", Encoding.UTF8.GetBytes(Jsonl(Rows("b", 4))))]);
        (await s.Scientist.PostAsJsonAsync($"/api/datasets/{second.Id}/versions", new CreateVersionRequest(null, null, null))).EnsureSuccessStatusCode();

        var deleted = await s.Scientist.DeleteAsync($"/api/datasets/{dataset.Id}");
        var project = await s.Admin.DeleteAsync($"/api/projects/{s.ProjectId}");

        deleted.StatusCode.ShouldBe(HttpStatusCode.NoContent);
        project.StatusCode.ShouldBe(HttpStatusCode.NoContent);
        (await s.Admin.GetAsync($"/api/datasets/{second.Id}")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
    }

    private static async Task<List<string>> AllAsync(DatasetScenario s, Guid datasetId)
    {
        var page = await s.Scientist.GetFromJsonAsync<ItemPage>($"/api/datasets/{datasetId}/items?pageSize=500", Json.Options);
        return [.. page!.Items.Select(i => $"{i.ContentHash}:{string.Join('|', i.FinalLabels.Order())}").Order()];
    }
}
