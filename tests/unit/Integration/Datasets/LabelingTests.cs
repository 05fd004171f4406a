using System.Net;
using System.Net.Http.Json;
using System.Security.Claims;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using TransferHub.Shared.Datasets;
using TransferHub.Web.Data;
using TransferHub.Web.Features.Datasets;
using TransferHub.Web.Features.Labeling;

namespace TransferHub.Tests.Unit.Integration.Datasets;

public sealed class LabelingTests(TransferHubFactory factory) : IClassFixture<TransferHubFactory>
{
    private LabelingService Labeling => factory.Services.GetRequiredService<LabelingService>();

    private static Task<ClaimsPrincipal> PrincipalOfAsync(HttpClient client) => DatasetScenario.PrincipalOfAsync(client);

    private async Task<(DatasetScenario S, DatasetDto Dataset)> TextDatasetAsync(int items, int overlap = 0)
    {
        var s = await DatasetScenario.CreateAsync(factory);
        var dataset = await s.CreateDatasetAsync(DatasetKind.Text, LabelTask.SingleLabel, overlap, "yes", "no");
        var text = string.Join('\n', Enumerable.Range(0, items).Select(i => $"item number {i}"));
        await s.ImportAsync(dataset.Id, [("items.txt", Encoding.UTF8.GetBytes(text))]);
        return (s, dataset);
    }

    [Fact]
    public async Task TwoAnnotatorsNeverHoldTheSameItem()
    {
        var (s, dataset) = await TextDatasetAsync(20);
        var a = await PrincipalOfAsync(s.LabelerA);
        var b = await PrincipalOfAsync(s.LabelerB);

        var claims = await Task.WhenAll(Enumerable.Range(0, 10).Select(i =>
            Labeling.NextAsync(i % 2 == 0 ? a : b, dataset.Id, QueueOrder.Sequential, [], CancellationToken.None)));

        var byA = claims.Where((_, i) => i % 2 == 0).Select(c => c!.Item.Id).ToHashSet();
        var byB = claims.Where((_, i) => i % 2 == 1).Select(c => c!.Item.Id).ToHashSet();
        byA.Overlaps(byB).ShouldBeFalse();
    }

    [Fact]
    public async Task SubmittedItemLeavesTheQueueAndCountsGoUp()
    {
        var (s, dataset) = await TextDatasetAsync(3);
        var a = await PrincipalOfAsync(s.LabelerA);

        var labeled = new List<Guid>();
        while (await Labeling.NextAsync(a, dataset.Id, QueueOrder.Sequential, [], CancellationToken.None) is { } next)
        {
            await Labeling.SubmitAsync(a, next.Item.Id, ["yes"], 1200, CancellationToken.None);
            labeled.Add(next.Item.Id);
        }

        labeled.Distinct().Count().ShouldBe(3);
        var after = await s.LabelerA.GetFromJsonAsync<DatasetDto>($"/api/datasets/{dataset.Id}", Json.Options);
        after!.LabeledCount.ShouldBe(3);
    }

    [Fact]
    public async Task ReservationOfAClosedPageLapsesAndTheItemReturns()
    {
        var (s, dataset) = await TextDatasetAsync(1);
        var a = await PrincipalOfAsync(s.LabelerA);
        var b = await PrincipalOfAsync(s.LabelerB);
        var held = await Labeling.NextAsync(a, dataset.Id, QueueOrder.Sequential, [], CancellationToken.None);
        (await Labeling.NextAsync(b, dataset.Id, QueueOrder.Sequential, [], CancellationToken.None)).ShouldBeNull();

        factory.Clock.Advance(LabelingQueue.ReservationTtl + TimeSpan.FromSeconds(1));
        var taken = await Labeling.NextAsync(b, dataset.Id, QueueOrder.Sequential, [], CancellationToken.None);

        taken!.Item.Id.ShouldBe(held!.Item.Id);
    }

    [Fact]
    public async Task SimultaneousSubmitsOfOneItemByTwoAnnotatorsKeepBoth()
    {
        var (s, dataset) = await TextDatasetAsync(1, overlap: 100);
        var a = await PrincipalOfAsync(s.LabelerA);
        var b = await PrincipalOfAsync(s.LabelerB);
        var item = (await s.LabelerA.GetFromJsonAsync<ItemPage>($"/api/datasets/{dataset.Id}/items", Json.Options))!.Items.Single();

        await Task.WhenAll(
            Labeling.SubmitAsync(a, item.Id, ["yes"], null, CancellationToken.None),
            Labeling.SubmitAsync(b, item.Id, ["no"], null, CancellationToken.None));

        var after = await s.LabelerA.GetFromJsonAsync<ItemDto>($"/api/items/{item.Id}", Json.Options);
        after!.AnnotationCount.ShouldBe(2);
        after.FinalLabels.ShouldBeEmpty(); // they disagree: it waits for a reviewer
        var review = await s.Scientist.GetFromJsonAsync<ItemPage>($"/api/datasets/{dataset.Id}/items?status=review", Json.Options);
        review!.Items.Single().Id.ShouldBe(item.Id);
    }

    [Fact]
    public async Task SameAnnotatorDoubleSubmitKeepsOneAnnotation()
    {
        var (s, dataset) = await TextDatasetAsync(1);
        var item = (await s.LabelerA.GetFromJsonAsync<ItemPage>($"/api/datasets/{dataset.Id}/items", Json.Options))!.Items.Single();

        var results = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ =>
            s.LabelerA.PutAsJsonAsync($"/api/items/{item.Id}/annotation", new AnnotationRequest(["yes"]))));

        results.ShouldAllBe(r => r.StatusCode == HttpStatusCode.OK);
        var after = await s.LabelerA.GetFromJsonAsync<ItemDto>($"/api/items/{item.Id}", Json.Options);
        (after!.AnnotationCount, after.FinalLabels.Single()).ShouldBe((1, "yes"));
    }

    [Fact]
    public async Task ChangesAreKeptInHistoryAndUndoRestoresThePreviousLabel()
    {
        var (s, dataset) = await TextDatasetAsync(1);
        var a = await PrincipalOfAsync(s.LabelerA);
        var item = (await s.LabelerA.GetFromJsonAsync<ItemPage>($"/api/datasets/{dataset.Id}/items", Json.Options))!.Items.Single();

        await Labeling.SubmitAsync(a, item.Id, ["yes"], null, CancellationToken.None);
        await Labeling.SubmitAsync(a, item.Id, ["no"], null, CancellationToken.None);
        var undone = await Labeling.UndoAsync(a, item.Id, CancellationToken.None);

        undone.FinalLabels.ShouldBe(["yes"]);
        var activity = await s.LabelerB.GetFromJsonAsync<List<ActivityEntry>>($"/api/datasets/{dataset.Id}/activity", Json.Options);
        activity!.Select(a => a.What).ShouldBe(["undid a label on item number 0", "changed item number 0 from yes to no", "labeled item number 0 yes"]);
        var history = await s.Scientist.GetFromJsonAsync<List<LabelChangeDto>>($"/api/items/{item.Id}/history", Json.Options);
        history!.Select(h => (string.Join(',', h.From), string.Join(',', h.To))).ShouldBe([("", "yes"), ("yes", "no"), ("no", "yes")]);
        history!.ShouldAllBe(h => h.UserEmail!.StartsWith("la-"));
    }

    [Fact]
    public async Task AReviewersSettlementStandsWhenALabelerChangesTheirLabelAfterwardsUntilSentToReviewAgain()
    {
        var (s, dataset) = await TextDatasetAsync(1, overlap: 100);
        var (a, b) = (await PrincipalOfAsync(s.LabelerA), await PrincipalOfAsync(s.LabelerB));
        var item = (await s.LabelerA.GetFromJsonAsync<ItemPage>($"/api/datasets/{dataset.Id}/items", Json.Options))!.Items.Single();
        await Labeling.SubmitAsync(a, item.Id, ["yes"], null, CancellationToken.None);
        (await Labeling.SubmitAsync(b, item.Id, ["no"], null, CancellationToken.None)).NeedsReview.ShouldBeTrue();
        (await s.Admin.PutAsJsonAsync($"/api/items/{item.Id}/resolution", new AnnotationRequest(["no"]))).EnsureSuccessStatusCode();

        // B, whose page still showed the item, changes their label: recorded, but the reviewer's word stands (without
        // this rule both annotators now say "yes" and the item would silently become "yes").
        var late = await Labeling.SubmitAsync(b, item.Id, ["yes"], null, CancellationToken.None);
        (late.Changed, late.FinalLabels.Single(), late.NeedsReview).ShouldBe((true, "no", false));
        await Labeling.SubmitAsync(a, item.Id, ["no"], null, CancellationToken.None); // now they disagree again: still settled
        var after = await s.LabelerA.GetFromJsonAsync<ItemDto>($"/api/items/{item.Id}", Json.Options);
        (after!.FinalLabels.Single(), after.NeedsReview).ShouldBe(("no", false));
        var history = await s.Scientist.GetFromJsonAsync<List<LabelChangeDto>>($"/api/items/{item.Id}/history", Json.Options);
        history!.Count.ShouldBe(5); // every change is in the history

        // Sent to review again, the annotators' labels decide once more: B agrees with A now, so it is settled as "no".
        (await s.Admin.PostAsJsonAsync($"/api/datasets/{dataset.Id}/items/bulk", new BulkItemsRequest([item.Id], "review"))).EnsureSuccessStatusCode();
        var reopened = await Labeling.SubmitAsync(b, item.Id, ["no"], 900, CancellationToken.None);
        (reopened.FinalLabels.Single(), reopened.NeedsReview).ShouldBe(("no", false));
    }

    [Theory]
    [InlineData(new[] { "maybe" }, "is not a label")]
    [InlineData(new[] { "yes", "no" }, "exactly one label")]
    [InlineData(new string[0], "exactly one label")]
    public async Task BadLabelsAreValidationProblems(string[] labels, string message)
    {
        var (s, dataset) = await TextDatasetAsync(1);
        var item = (await s.LabelerA.GetFromJsonAsync<ItemPage>($"/api/datasets/{dataset.Id}/items", Json.Options))!.Items.Single();

        var response = await s.LabelerA.PutAsJsonAsync($"/api/items/{item.Id}/annotation", new AnnotationRequest(labels));

        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await response.Content.ReadAsStringAsync()).ShouldContain(message);
    }

    [Fact]
    public async Task EachStoredLabelIsMeasured()
    {
        using var recorder = new TransferHub.Tests.Unit.Web.MetricsRecorder(factory.Services);
        var (s, dataset) = await TextDatasetAsync(2);
        var items = (await s.LabelerA.GetFromJsonAsync<ItemPage>($"/api/datasets/{dataset.Id}/items", Json.Options))!.Items;

        foreach (var item in items)
        {
            (await s.LabelerA.PutAsJsonAsync($"/api/items/{item.Id}/annotation", new AnnotationRequest(["yes"]))).EnsureSuccessStatusCode();
        }

        recorder.Tags("transferhub.labeling.submit_duration").Select(t => t.Single(x => x.Key == "kind").Value).ShouldBe(["annotation", "annotation"]);
    }

    [Fact]
    public async Task OutsiderCannotLabelAndLabelerCannotResolve()
    {
        var (s, dataset) = await TextDatasetAsync(1);
        var item = (await s.LabelerA.GetFromJsonAsync<ItemPage>($"/api/datasets/{dataset.Id}/items", Json.Options))!.Items.Single();

        var outsider = await s.Outsider.PutAsJsonAsync($"/api/items/{item.Id}/annotation", new AnnotationRequest(["yes"]));
        var resolve = await s.LabelerA.PutAsJsonAsync($"/api/items/{item.Id}/resolution", new AnnotationRequest(["yes"]));

        outsider.StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        resolve.StatusCode.ShouldBe(HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task AgreementOfTwoAnnotatorsIsCohensKappa()
    {
        var (s, dataset) = await TextDatasetAsync(4, overlap: 100);
        var a = await PrincipalOfAsync(s.LabelerA);
        var b = await PrincipalOfAsync(s.LabelerB);
        var items = (await s.LabelerA.GetFromJsonAsync<ItemPage>($"/api/datasets/{dataset.Id}/items", Json.Options))!.Items;
        string[] byA = ["yes", "yes", "no", "no"], byB = ["yes", "no", "no", "no"];
        for (var i = 0; i < 4; i++)
        {
            await Labeling.SubmitAsync(a, items[i].Id, [byA[i]], 1000 + i, CancellationToken.None);
            await Labeling.SubmitAsync(b, items[i].Id, [byB[i]], 2000, CancellationToken.None);
        }

        var report = await s.LabelerA.GetFromJsonAsync<AgreementReport>($"/api/datasets/{dataset.Id}/agreement", Json.Options);

        report!.Method.ShouldStartWith("Cohen's kappa");
        report.Overall!.Value.ShouldBe(0.5, 1e-9); // p_o = 0.75, p_e = 0.5
        (report.ItemsWithTwoOrMore, report.Disagreements).ShouldBe((4, 1));
        report.Annotators.ShouldAllBe(x => x.Annotations == 4 && x.AgreementWithOthers == 0.75);
    }

    [Fact]
    public async Task ImportedGroundTruthIsNoAnnotatorAndAsksNoOneForASecondOpinion()
    {
        var s = await DatasetScenario.CreateAsync(factory);
        var dataset = await s.CreateDatasetAsync(DatasetKind.Text, LabelTask.SingleLabel, 100, "yes", "no"); // every item wants two opinions
        var lines = string.Join('\n', Enumerable.Range(0, 6).Select(i => $"{{\"text\":\"known {i}\",\"label\":\"{(i % 2 == 0 ? "yes" : "no")}\"}}"));
        await s.ImportAsync(dataset.Id, [("known.jsonl", Encoding.UTF8.GetBytes(lines)), ("open.txt", "open one\nopen two"u8.ToArray())]);
        var a = await PrincipalOfAsync(s.LabelerA);
        var b = await PrincipalOfAsync(s.LabelerB);

        // Only the two unlabeled items are served (each to both annotators); the six imported ones are settled.
        var served = new List<Guid>();
        foreach (var who in new[] { a, b })
        {
            while (await Labeling.NextAsync(who, dataset.Id, QueueOrder.Sequential, [], CancellationToken.None) is { } next)
            {
                served.Add(next.Item.Id);
                await Labeling.SubmitAsync(who, next.Item.Id, ["yes"], 1500, CancellationToken.None);
            }
        }

        served.Count.ShouldBe(4);
        served.Distinct().Count().ShouldBe(2);
        var after = await s.LabelerA.GetFromJsonAsync<DatasetDto>($"/api/datasets/{dataset.Id}", Json.Options);
        (after!.ItemCount, after.LabeledCount).ShouldBe((8, 8));
        var report = await s.LabelerA.GetFromJsonAsync<AgreementReport>($"/api/datasets/{dataset.Id}/agreement", Json.Options);
        report!.Annotators.Count.ShouldBe(2); // the two labelers; the importer is no annotator
        report.ItemsWithTwoOrMore.ShouldBe(2);
        var history = await s.LabelerA.GetFromJsonAsync<List<LabelChangeDto>>($"/api/items/{(await ItemsAsync(s, dataset.Id)).First(i => i.Text == "known 0").Id}/history", Json.Options);
        history!.ShouldHaveSingleItem().To.ShouldBe(["yes"]); // where the label came from stays in the item's history
    }

    [Fact]
    public async Task AGroundTruthLabelStandsWhenSomeoneLabelsTheItemLaterUntilSentToReview()
    {
        var (s, dataset, item) = await OneGroundTruthItemAsync();
        var a = await PrincipalOfAsync(s.LabelerA);

        // Not queued, but reachable by the API: the label is recorded and counted, the imported truth stays final
        // (without this rule the item silently became "no").
        var late = await Labeling.SubmitAsync(a, item.Id, ["no"], null, CancellationToken.None);
        (late.Changed, late.FinalLabels.Single(), late.NeedsReview).ShouldBe((true, "yes", false));
        var history = await s.Scientist.GetFromJsonAsync<List<LabelChangeDto>>($"/api/items/{item.Id}/history", Json.Options);
        history!.Select(h => h.Kind).ShouldBe(["import", "annotation"]);

        // Sent to review, the annotators' labels decide.
        (await s.Admin.PostAsJsonAsync($"/api/datasets/{dataset.Id}/items/bulk", new BulkItemsRequest([item.Id], "review"))).EnsureSuccessStatusCode();
        var reopened = await Labeling.SubmitAsync(a, item.Id, ["yes"], null, CancellationToken.None);
        (reopened.FinalLabels.Single(), reopened.NeedsReview).ShouldBe(("yes", false));
    }

    [Fact]
    public async Task AnImportMadeBeforeGroundTruthExistedStaysOneOpinionAmongTheAnnotators()
    {
        var (s, dataset, item) = await OneGroundTruthItemAsync();
        await using (var db = await factory.Services.GetRequiredService<IDbContextFactory<AppDbContext>>().CreateDbContextAsync())
        {
            // What imports wrote before: the importer's annotation, made with the item, beside the "import" change.
            var change = await db.LabelChanges.SingleAsync(c => c.ItemId == item.Id);
            db.Annotations.Add(new Annotation { ItemId = item.Id, DatasetId = dataset.Id, UserId = change.UserId, LabelIds = change.ToLabelIds, CreatedAt = change.At, UpdatedAt = change.At });
            await db.SaveChangesAsync();
        }

        // A labeler disagrees: as before ground truth existed, the two opinions disagree and the item goes to review.
        var result = await Labeling.SubmitAsync(await PrincipalOfAsync(s.LabelerA), item.Id, ["no"], null, CancellationToken.None);
        (result.FinalLabels.Count, result.NeedsReview).ShouldBe((0, true));
    }

    [Fact]
    public async Task ImportedPreLabelsAreSuggestionsThatAnnotatorsConfirm()
    {
        var s = await DatasetScenario.CreateAsync(factory);
        var dataset = await s.CreateDatasetAsync(DatasetKind.Text, LabelTask.SingleLabel, 0, "yes", "no");
        var lines = string.Join('\n', Enumerable.Range(0, 3).Select(i => $"{{\"text\":\"guess {i}\",\"label\":\"no\"}}"));
        var report = await s.ImportAsync(dataset.Id, [("guesses.jsonl", Encoding.UTF8.GetBytes(lines))], labelsAs: "PreLabel");
        var bad = await s.Scientist.PostAsync($"/api/datasets/{dataset.Id}/imports", new MultipartFormDataContent
        {
            { new ByteArrayContent("x"u8.ToArray()), "files", "x.txt" }, { new StringContent("Truth"), "labelsAs" },
        });
        var a = await PrincipalOfAsync(s.LabelerA);

        report.LabelsAs.ShouldBe(ImportedLabels.PreLabel);
        bad.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await s.LabelerA.GetFromJsonAsync<DatasetDto>($"/api/datasets/{dataset.Id}", Json.Options))!.LabeledCount.ShouldBe(0);
        var first = (await Labeling.NextAsync(a, dataset.Id, QueueOrder.Sequential, [], CancellationToken.None))!;
        (first.Suggestion!.Label, first.Suggestion.RunId).ShouldBe(("no", Guid.Empty));
        await Labeling.SubmitAsync(a, first.Item.Id, ["no"], 900, CancellationToken.None);
        (await s.LabelerA.GetFromJsonAsync<DatasetDto>($"/api/datasets/{dataset.Id}", Json.Options))!.LabeledCount.ShouldBe(1);
    }

    // A text dataset with one item imported with the label "yes" as ground truth (the import's default).
    private async Task<(DatasetScenario S, DatasetDto Dataset, ItemDto Item)> OneGroundTruthItemAsync()
    {
        var s = await DatasetScenario.CreateAsync(factory);
        var dataset = await s.CreateDatasetAsync(DatasetKind.Text, LabelTask.SingleLabel, 0, "yes", "no");
        await s.ImportAsync(dataset.Id, [("truth.jsonl", "{\"text\":\"known\",\"label\":\"yes\"}"u8.ToArray())]);
        return (s, dataset, (await ItemsAsync(s, dataset.Id)).Single());
    }

    private static async Task<IReadOnlyList<ItemDto>> ItemsAsync(DatasetScenario s, Guid datasetId) =>
        (await s.LabelerA.GetFromJsonAsync<ItemPage>($"/api/datasets/{datasetId}/items?pageSize=100", Json.Options))!.Items;
}
