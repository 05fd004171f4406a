using System.Net;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Mvc;
using TransferHub.Shared.Datasets;

namespace TransferHub.Tests.Unit.Integration.Datasets;

public sealed class DatasetApiTests(TransferHubFactory factory) : IClassFixture<TransferHubFactory>
{
    [Fact]
    public async Task ScientistCreatesDatasetWithLabelsAndShortcuts()
    {
        var s = await DatasetScenario.CreateAsync(factory);

        var dataset = await s.CreateDatasetAsync(DatasetKind.Text, LabelTask.SingleLabel, 0, "positive", "negative");

        dataset.Labels.Select(l => (l.Name, l.Shortcut)).ShouldBe([("positive", "1"), ("negative", "2")]);
        dataset.Labels.ShouldAllBe(l => l.Color.StartsWith('#'));
        (await s.LabelerA.GetFromJsonAsync<DatasetDto>($"/api/datasets/{dataset.Id}", Json.Options))!.Name.ShouldBe(dataset.Name);
    }

    [Fact]
    public async Task LabelsNamedByOneKeyGetThatKeyAndTheOthersAvoidIt()
    {
        var s = await DatasetScenario.CreateAsync(factory);
        string[] digits = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"];

        var handwriting = await s.CreateDatasetAsync(DatasetKind.Image, LabelTask.SingleLabel, 0, [.. digits, "other"]);
        var mixed = await s.CreateDatasetAsync(DatasetKind.Image, LabelTask.SingleLabel, 0, "cat", "1", "J", "b");
        var added = await s.Scientist.PostAsJsonAsync($"/api/datasets/{mixed.Id}/labels", new LabelRequest("7", null, null, null));

        handwriting.Labels.Select(l => (l.Name, l.Shortcut)).ShouldBe([.. digits.Select(d => (d, d)), ("other", "a")]);
        // "J" is the labeling page's own key (next item), so it gets a free one.
        mixed.Labels.Select(l => (l.Name, l.Shortcut)).ShouldBe([("cat", "2"), ("1", "1"), ("J", "3"), ("b", "b")]);
        (await added.Content.ReadFromJsonAsync<LabelDto>(Json.Options))!.Shortcut.ShouldBe("7");
    }

    [Fact]
    public async Task LabelerCannotCreateDatasetsAndOutsiderCannotSeeThem()
    {
        var s = await DatasetScenario.CreateAsync(factory);
        var dataset = await s.CreateDatasetAsync(DatasetKind.Text, LabelTask.SingleLabel, 0, "a");

        var create = await s.LabelerA.PostAsJsonAsync($"/api/projects/{s.ProjectId}/datasets", new CreateDatasetRequest("x", DatasetKind.Text, LabelTask.SingleLabel, null, null, null));
        var read = await s.Outsider.GetAsync($"/api/datasets/{dataset.Id}");
        var items = await s.Outsider.GetAsync($"/api/datasets/{dataset.Id}/items");

        create.StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        read.StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        items.StatusCode.ShouldBe(HttpStatusCode.Forbidden);
    }

    [Theory]
    [InlineData("j", "shortcut")]
    [InlineData("ab", "shortcut")]
    [InlineData(null, "color")]
    public async Task InvalidLabelIsAValidationProblem(string? shortcut, string field)
    {
        var s = await DatasetScenario.CreateAsync(factory);
        var dataset = await s.CreateDatasetAsync(DatasetKind.Text, LabelTask.SingleLabel, 0, "a");

        var response = await s.Scientist.PostAsJsonAsync($"/api/datasets/{dataset.Id}/labels",
            new LabelRequest("b", field == "color" ? "red" : null, shortcut, null));

        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await response.Content.ReadFromJsonAsync<ValidationProblemDetails>())!.Errors.ShouldContainKey(field);
    }

    [Fact]
    public async Task TheLabelSetGrowsThroughTheApi()
    {
        var s = await DatasetScenario.CreateAsync(factory);
        var dataset = await s.CreateDatasetAsync(DatasetKind.Text, LabelTask.SingleLabel, 0, "cat");

        var response = await s.Scientist.PostAsJsonAsync($"/api/datasets/{dataset.Id}/labels", new LabelRequest("dog", null, null, "a dog"));

        response.StatusCode.ShouldBe(HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        var labels = (await s.Scientist.GetFromJsonAsync<DatasetDto>($"/api/datasets/{dataset.Id}", Json.Options))!.Labels;
        labels.Select(l => (l.Name, l.Shortcut)).ShouldBe([("cat", "1"), ("dog", "2")]);
        (await s.LabelerA.PostAsJsonAsync($"/api/datasets/{dataset.Id}/labels", new LabelRequest("bird", null, null, null))).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task DuplicateLabelNameIsAConflict()
    {
        var s = await DatasetScenario.CreateAsync(factory);
        var dataset = await s.CreateDatasetAsync(DatasetKind.Text, LabelTask.SingleLabel, 0, "cat");

        var response = await s.Scientist.PostAsJsonAsync($"/api/datasets/{dataset.Id}/labels", new LabelRequest("Cat", null, null, null));

        response.StatusCode.ShouldBe(HttpStatusCode.Conflict);
    }

    [Fact]
    public async Task LabelInUseCannotBeDeletedButAnUnusedOneCan()
    {
        var s = await DatasetScenario.CreateAsync(factory);
        var dataset = await s.CreateDatasetAsync(DatasetKind.Text, LabelTask.SingleLabel, 0, "used", "unused");
        await s.ImportAsync(dataset.Id, [("a.jsonl", "{\"text\":\"hello\",\"label\":\"used\"}\n"u8.ToArray())]);
        var labels = dataset.Labels.ToDictionary(l => l.Name, l => l.Id);

        var inUse = await s.Scientist.DeleteAsync($"/api/datasets/{dataset.Id}/labels/{labels["used"]}");
        var unused = await s.Scientist.DeleteAsync($"/api/datasets/{dataset.Id}/labels/{labels["unused"]}");

        inUse.StatusCode.ShouldBe(HttpStatusCode.Conflict);
        (await inUse.Content.ReadFromJsonAsync<ProblemDetails>())!.Detail!.ShouldContain("used by 0 annotation(s), 1 item(s)' final labels"); // imported ground truth
        unused.StatusCode.ShouldBe(HttpStatusCode.NoContent);
        var after = await s.Scientist.GetFromJsonAsync<ItemPage>($"/api/datasets/{dataset.Id}/items?status=labeled", Json.Options);
        after!.Items.Single().FinalLabels.ShouldBe(["used"]);
    }
}
