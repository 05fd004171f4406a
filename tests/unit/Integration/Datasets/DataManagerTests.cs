using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using TransferHub.Shared.Datasets;
using TransferHub.Web.Data;
using TransferHub.Web.Features.Labeling;

namespace TransferHub.Tests.Unit.Integration.Datasets;

/// <summary>The data manager through the API: filters that combine, paging, and bulk actions for reviewers only.</summary>
public sealed class DataManagerTests(TransferHubFactory factory) : IClassFixture<TransferHubFactory>
{
    private LabelingService Labeling => factory.Services.GetRequiredService<LabelingService>();

    private async Task<(DatasetScenario S, DatasetDto Dataset, IReadOnlyList<ItemDto> Items)> FruitAsync()
    {
        var s = await DatasetScenario.CreateAsync(factory);
        var dataset = await s.CreateDatasetAsync(DatasetKind.Text, LabelTask.SingleLabel, 0, "yes", "no");
        var text = string.Join('\n', Enumerable.Range(0, 30).Select(i => i < 10 ? $"an APPLE number {i}" : $"a pear number {i}"));
        await s.ImportAsync(dataset.Id, [("fruit.txt", Encoding.UTF8.GetBytes(text))]);
        var items = (await s.LabelerA.GetFromJsonAsync<ItemPage>($"/api/datasets/{dataset.Id}/items?pageSize=100", Json.Options))!.Items;
        return (s, dataset, items);
    }

    private static async Task<ItemPage> ListAsync(HttpClient client, Guid datasetId, string query) =>
        (await client.GetFromJsonAsync<ItemPage>($"/api/datasets/{datasetId}/items?{query}", Json.Options))!;

    [Fact]
    public async Task FiltersCombineAndPageThroughTheDatabase()
    {
        var (s, dataset, items) = await FruitAsync();
        var a = await DatasetScenario.PrincipalOfAsync(s.LabelerA);
        var b = await DatasetScenario.PrincipalOfAsync(s.LabelerB);
        foreach (var item in items.Take(5)) // apples 0–4 by A
        {
            await Labeling.SubmitAsync(a, item.Id, ["yes"], null, CancellationToken.None);
        }
        foreach (var item in items.Skip(10).Take(3)) // pears 10–12 by B
        {
            await Labeling.SubmitAsync(b, item.Id, ["no"], null, CancellationToken.None);
        }
        var bId = (await s.LabelerB.GetFromJsonAsync<JsonElement>("/api/me")).GetProperty("id").GetString();
        var aEmail = (await s.LabelerA.GetFromJsonAsync<JsonElement>("/api/me")).GetProperty("name").GetString();

        (await ListAsync(s.LabelerA, dataset.Id, "q=apple")).Total.ShouldBe(10); // case-insensitive
        (await ListAsync(s.LabelerA, dataset.Id, "q=number%2012")).Items.Single().Text.ShouldBe("a pear number 12");
        (await ListAsync(s.LabelerA, dataset.Id, $"annotator={Uri.EscapeDataString(aEmail!)}")).Total.ShouldBe(5);
        (await ListAsync(s.LabelerA, dataset.Id, $"annotator={bId}&label=no")).Total.ShouldBe(3);
        (await ListAsync(s.LabelerA, dataset.Id, $"annotator={bId}&label=yes")).Total.ShouldBe(0);
        (await ListAsync(s.LabelerA, dataset.Id, "status=unlabeled&q=pear")).Total.ShouldBe(17);
        (await ListAsync(s.LabelerA, dataset.Id, "status=labeled&q=apple")).Items.Select(i => i.FinalLabels.Single()).ShouldAllBe(l => l == "yes");

        var first = await ListAsync(s.LabelerA, dataset.Id, "pageSize=7&page=1");
        var second = await ListAsync(s.LabelerA, dataset.Id, "pageSize=7&page=2");
        var last = await ListAsync(s.LabelerA, dataset.Id, "pageSize=7&page=5");
        (first.Total, first.Items.Count, second.Items.Count, last.Items.Count).ShouldBe((30, 7, 7, 2));
        first.Items.Select(i => i.Id).Intersect(second.Items.Select(i => i.Id)).ShouldBeEmpty();
    }

    [Fact]
    public async Task PreLabelConfidenceAndDriftAreFilters()
    {
        var (s, dataset, items) = await FruitAsync();
        await using (var db = await factory.Services.GetRequiredService<IDbContextFactory<AppDbContext>>().CreateDbContextAsync())
        {
            var yes = dataset.Labels.Single(l => l.Name == "yes").Id;
            double[] confidences = [0.3, 0.6, 0.9];
            for (var i = 0; i < 3; i++)
            {
                db.ItemScores.Add(new ItemScore { ItemId = items[i].Id, DatasetId = dataset.Id, RunId = Guid.NewGuid(), LabelId = yes, Confidence = confidences[i], ScoredAt = DateTimeOffset.UtcNow });
            }
            await db.Items.Where(i => i.Id == items[29].Id).ExecuteUpdateAsync(u => u.SetProperty(i => i.Origin, $"drift:{Guid.NewGuid():N}"));
            await db.SaveChangesAsync();
        }

        (await ListAsync(s.LabelerA, dataset.Id, "status=prelabeled")).Total.ShouldBe(3);
        var unsure = await ListAsync(s.LabelerA, dataset.Id, "maxConfidence=0.7");
        unsure.Items.Select(i => (i.PreLabel, i.PreLabelConfidence)).ShouldBe([("yes", 0.3), ("yes", 0.6)]);
        (await ListAsync(s.LabelerA, dataset.Id, "minConfidence=0.5&maxConfidence=0.95")).Total.ShouldBe(2);
        var drift = (await ListAsync(s.LabelerA, dataset.Id, "status=drift")).Items.ShouldHaveSingleItem();
        (drift.Id, drift.Origin![..6]).ShouldBe((items[29].Id, "drift:"));
    }

    [Theory]
    [InlineData("status=bogus", "status")]
    [InlineData("label=maybe", "label")]
    [InlineData("annotator=nobody%40example.test", "annotator")]
    [InlineData("minConfidence=2", "minConfidence")]
    [InlineData("minConfidence=0.8&maxConfidence=0.2", "minConfidence")]
    [InlineData("minConfidence=NaN", "minConfidence")]
    public async Task BadFiltersAreRefusedNamingTheField(string query, string field)
    {
        var (s, dataset, _) = await FruitAsync();

        var response = await s.LabelerA.GetAsync($"/api/datasets/{dataset.Id}/items?{query}");

        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await response.Content.ReadAsStringAsync()).ShouldContain(field);
    }

    [Fact]
    public async Task AReviewerRelabelsOrSendsASelectionToReviewAndEachItemKeepsItsHistory()
    {
        var (s, dataset, items) = await FruitAsync();
        var a = await DatasetScenario.PrincipalOfAsync(s.LabelerA);
        await Labeling.SubmitAsync(a, items[0].Id, ["yes"], null, CancellationToken.None);
        var apples = items.Take(10).Select(i => i.Id).ToList();

        var relabel = await s.Admin.PostAsJsonAsync($"/api/datasets/{dataset.Id}/items/bulk", new BulkItemsRequest(apples, "relabel", ["no"]));
        var again = await s.Admin.PostAsJsonAsync($"/api/datasets/{dataset.Id}/items/bulk", new BulkItemsRequest(apples, "relabel", ["no"]));
        var review = await s.Admin.PostAsJsonAsync($"/api/datasets/{dataset.Id}/items/bulk", new BulkItemsRequest(apples.Take(2).ToList(), "review"));

        (await relabel.Content.ReadFromJsonAsync<BulkItemsResult>(Json.Options)).ShouldBe(new BulkItemsResult(10, 0));
        (await again.Content.ReadFromJsonAsync<BulkItemsResult>(Json.Options)).ShouldBe(new BulkItemsResult(0, 10));
        (await review.Content.ReadFromJsonAsync<BulkItemsResult>(Json.Options)).ShouldBe(new BulkItemsResult(2, 0));
        (await ListAsync(s.LabelerA, dataset.Id, "label=no&q=apple")).Total.ShouldBe(10);
        (await ListAsync(s.LabelerA, dataset.Id, "status=review")).Items.Select(i => i.Id).ShouldBe(apples.Take(2));
        var history = await s.LabelerA.GetFromJsonAsync<List<LabelChangeDto>>($"/api/items/{items[0].Id}/history", Json.Options);
        history!.Select(h => (h.Kind, string.Join(",", h.To))).ShouldBe([("annotation", "yes"), ("review", "no"), (DataManagerService.SentToReviewKind, "no")]);
        // Settled items leave the labeling queue: only the 20 pears are left to label.
        var served = new HashSet<Guid>();
        while (await Labeling.NextAsync(a, dataset.Id, QueueOrder.Sequential, served, CancellationToken.None) is { } next)
        {
            served.Add(next.Item.Id);
        }
        served.Count.ShouldBe(20);
        served.ShouldNotContain(apples[5]);
    }

    [Fact]
    public async Task BulkActionsAreForReviewersAndRefuseBadSelectionsWholesale()
    {
        var (s, dataset, items) = await FruitAsync();
        var other = await s.CreateDatasetAsync(DatasetKind.Text, LabelTask.SingleLabel, 0, "yes", "no");
        await s.ImportAsync(other.Id, [("x.txt", "elsewhere"u8.ToArray())]);
        var foreign = (await ListAsync(s.LabelerA, other.Id, "")).Items.Single().Id;
        var ids = items.Take(3).Select(i => i.Id).ToList();
        var url = $"/api/datasets/{dataset.Id}/items/bulk";

        (await s.LabelerA.PostAsJsonAsync(url, new BulkItemsRequest(ids, "review"))).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await s.Scientist.PostAsJsonAsync(url, new BulkItemsRequest(ids, "review"))).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await s.Outsider.PostAsJsonAsync(url, new BulkItemsRequest(ids, "review"))).StatusCode.ShouldBeOneOf(HttpStatusCode.Forbidden, HttpStatusCode.NotFound);
        (await s.Admin.PostAsJsonAsync(url, new BulkItemsRequest([.. ids, foreign], "review"))).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await s.Admin.PostAsJsonAsync(url, new BulkItemsRequest(ids, "relabel", ["maybe"]))).StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await s.Admin.PostAsJsonAsync(url, new BulkItemsRequest(ids, "relabel"))).StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await s.Admin.PostAsJsonAsync(url, new BulkItemsRequest(ids, "delete"))).StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await s.Admin.PostAsJsonAsync(url, new BulkItemsRequest([], "review"))).StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        var tooMany = Enumerable.Range(0, DataManagerService.MaxBulkItems + 1).Select(_ => Guid.NewGuid()).ToList();
        (await s.Admin.PostAsJsonAsync(url, new BulkItemsRequest(tooMany, "review"))).StatusCode.ShouldBe(HttpStatusCode.BadRequest);

        // Nothing changed, not even the items of the selection that were in the dataset.
        (await ListAsync(s.LabelerA, dataset.Id, "status=review")).Total.ShouldBe(0);
        (await ListAsync(s.LabelerA, other.Id, "status=review")).Total.ShouldBe(0);
    }
}
