using Microsoft.EntityFrameworkCore;
using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using Microsoft.Extensions.DependencyInjection;
using TransferHub.Registry.Features.Artifacts;
using TransferHub.Shared.Notifications;
using TransferHub.Shared.Registry;
using TransferHub.Tests.Unit.Integration.Datasets;

namespace TransferHub.Tests.Unit.Integration.Registry;

[Trait("Category", "Slow")]
public sealed class RegistryApiTests(RegistryFixture f) : IClassFixture<RegistryFixture>
{
    private static string Unique(string name) => $"{name}-{Guid.NewGuid():N}"[..(name.Length + 9)];

    private async Task<ModelDto> RegisterAsync(string name, Guid runId, double? threshold = 0.5, bool keepRaw = false)
    {
        var response = await f.S.Scientist.PostAsJsonAsync($"/api/projects/{f.S.ProjectId}/models",
            new RegisterModelRequest(name, runId, "# Colours\nRed or blue.", ["vision"], threshold, keepRaw));
        response.StatusCode.ShouldBe(HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<ModelDto>(Json.Options))!;
    }

    [Fact]
    public async Task AVersionOffersHeldOutExamplesToTryWithTheirTrueLabels()
    {
        var model = await RegisterAsync(Unique("examples"), f.SourceRun);
        var url = $"/api/models/{model.Id}/versions/1/examples";

        var examples = await f.Viewer.GetFromJsonAsync<List<ModelExampleDto>>($"{url}?take=4", Json.Options);

        examples!.Count.ShouldBe(4);
        examples.ShouldAllBe(e => e.Labels.Count == 1 && (e.Labels[0] == "red" || e.Labels[0] == "blue"));
        // Each comes from the test split of the dataset version the model was trained on.
        await using (var db = await f.Services.GetRequiredService<Microsoft.EntityFrameworkCore.IDbContextFactory<TransferHub.Web.Data.AppDbContext>>().CreateDbContextAsync())
        {
            var test = db.VersionItems.Where(v => v.VersionId == f.Version.Id && v.Split == TransferHub.Shared.Datasets.Split.Test).Select(v => v.ItemId).ToHashSet();
            examples.Select(e => e.ItemId).ShouldAllBe(id => test.Contains(id));
        }
        var predicted = await f.Viewer.PostAsync($"{url}/{examples[0].ItemId}/predict", null);
        predicted.StatusCode.ShouldBe(HttpStatusCode.OK, await predicted.Content.ReadAsStringAsync());
        (await predicted.Content.ReadFromJsonAsync<PredictionDto>(Json.Options))!.Probabilities.Keys.Order().ShouldBe(["blue", "red"]);

        // Not an example: an item of no split of this version, a made-up one, an outsider, an unknown version.
        (await f.Viewer.PostAsync($"{url}/{Guid.NewGuid()}/predict", null)).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await f.S.Outsider.GetAsync(url)).StatusCode.ShouldBeOneOf(HttpStatusCode.Forbidden, HttpStatusCode.NotFound);
        (await f.S.Outsider.PostAsync($"{url}/{examples[0].ItemId}/predict", null)).StatusCode.ShouldBeOneOf(HttpStatusCode.Forbidden, HttpStatusCode.NotFound);
        (await f.Viewer.GetAsync($"/api/models/{model.Id}/versions/9/examples")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task ARegisteredVersionRecordsItsArtifactDataAndOrigin()
    {
        var name = Unique("colours");
        var model = await RegisterAsync(name, f.SourceRun);

        var v1 = model.Versions.Single();
        (v1.Version, v1.Stage, v1.Architecture).ShouldBe((1, ModelStage.None, "small-cnn"));
        v1.Labels.ShouldBe(["blue", "red"]);
        (v1.Input.Kind, v1.Input.ImageSize).ShouldBe(("image", 12));
        (v1.RunId, v1.DatasetVersionId, v1.DatasetVersionHash).ShouldBe((f.SourceRun, f.Version.Id, f.Version.ContentHash));
        v1.Hyperparameters.Seed.ShouldBe(1);
        v1.TestMetrics.ShouldNotBeNull();
        v1.Verdict.ShouldBe(TransferHub.Shared.Statistics.TransferVerdict.Reference);
        v1.HasReferenceProfile.ShouldBeTrue();
        var store = f.Services.GetRequiredService<IArtifactStore>();
        await using (var stored = await store.OpenReadAsync(v1.ArtifactKey, CancellationToken.None))
        {
            Convert.ToHexStringLower(await SHA256.HashDataAsync(stored)).ShouldBe(v1.Sha256);
        }
        var download = await f.Viewer.GetAsync($"/api/models/{model.Id}/versions/1/download");
        download.StatusCode.ShouldBe(HttpStatusCode.OK);
        Convert.ToHexStringLower(SHA256.HashData(await download.Content.ReadAsByteArrayAsync())).ShouldBe(v1.Sha256);

        var dat = await f.Viewer.GetAsync($"/api/models/{model.Id}/versions/1/download?format=torchsharp");
        dat.StatusCode.ShouldBe(HttpStatusCode.OK);
        using (var reloaded = TransferHub.Training.Models.ModelRegistry.Create("small-cnn", 2))
        {
            // TorchSharp's own loader reads it back into the same architecture.
            reloaded.load(new MemoryStream(await dat.Content.ReadAsByteArrayAsync()));
        }
        // As ONNX: ONNX Runtime gives the served model's answer for the same image, and the export says how it was checked.
        var onnx = await f.Viewer.GetAsync($"/api/models/{model.Id}/versions/1/download?format=onnx");
        onnx.StatusCode.ShouldBe(HttpStatusCode.OK, await onnx.Content.ReadAsStringAsync());
        onnx.Headers.GetValues("X-Onnx-Check").Single().ShouldContain("relative");
        Convert.ToHexStringLower(SHA256.HashData(await onnx.Content.ReadAsByteArrayAsync())).ShouldBe(v1.OnnxSha256); // the export stored at registration
        var pixels = new float[3 * 12 * 12];
        TransferHub.Training.Data.ImageFolder.Decode(Red(), 12, pixels);
        using (var session = new Microsoft.ML.OnnxRuntime.InferenceSession(await onnx.Content.ReadAsByteArrayAsync()))
        using (var results = session.Run([Microsoft.ML.OnnxRuntime.NamedOnnxValue.CreateFromTensor("image",
            new Microsoft.ML.OnnxRuntime.Tensors.DenseTensor<float>(pixels, [1, 3, 12, 12]))]))
        {
            var logits = results.First().AsEnumerable<float>().Select(v => (double)v).ToArray();
            var softmax = logits.Select(v => Math.Exp(v - logits.Max())).ToArray();
            var answer = await f.Viewer.PostAsync($"/api/models/{model.Id}/versions/1/predict", Images(Red()));
            var served = (await answer.Content.ReadFromJsonAsync<PredictResponse>(Json.Options))!.Predictions.Single().Probabilities;
            for (var c = 0; c < v1.Labels.Count; c++)
            {
                (softmax[c] / softmax.Sum()).ShouldBe(served[v1.Labels[c]], 1e-4);
            }
        }
        (await f.Viewer.GetAsync($"/api/models/{model.Id}/versions/1/download?format=pickle")).StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        var card = await f.Viewer.GetStringAsync($"/api/models/{name}/versions/1/card");
        card.ShouldStartWith($"# {name} v1");
        card.ShouldContain(v1.Sha256);
        card.ShouldContain(f.Version.ContentHash);
        card.ShouldContain($"macro-F1 **{v1.TestMetrics!.MacroF1.ToString("0.000", System.Globalization.CultureInfo.InvariantCulture)}**");
        card.ShouldContain("## Limitations");

        var byName = await f.Viewer.GetFromJsonAsync<ModelDto>($"/api/models/{name}", Json.Options);
        byName!.Id.ShouldBe(model.Id);
        (await f.Viewer.GetFromJsonAsync<List<ModelSummaryDto>>($"/api/models?projectId={f.S.ProjectId}", Json.Options))!
            .ShouldContain(m => m.Name == name && m.LatestVersion == 1 && m.ProductionVersion == null);
        var second = await f.S.Scientist.PostAsJsonAsync($"/api/models/{name}/versions", new RegisterVersionRequest(f.SecondRun));
        second.StatusCode.ShouldBe(HttpStatusCode.Created, await second.Content.ReadAsStringAsync());
        (await second.Content.ReadFromJsonAsync<ModelVersionDto>(Json.Options))!.Version.ShouldBe(2);
        var audit = await f.Viewer.GetFromJsonAsync<List<AuditEntryDto>>($"/api/models/{name}/audit", Json.Options);
        audit!.Select(a => a.Action).ShouldBe(["created", "registered", "reference captured", "registered", "reference captured"]);
    }

    [Fact]
    public async Task RegistrationIsRefusedForTheWrongPeopleAndRuns()
    {
        var name = Unique("guarded");
        await RegisterAsync(name, f.SourceRun);

        var taken = await f.S.Scientist.PostAsJsonAsync($"/api/projects/{f.S.ProjectId}/models", new RegisterModelRequest(name, f.SecondRun));
        var sameRun = await f.S.Scientist.PostAsJsonAsync($"/api/models/{name}/versions", new RegisterVersionRequest(f.SourceRun));
        var unknownRun = await f.S.Scientist.PostAsJsonAsync($"/api/projects/{f.S.ProjectId}/models", new RegisterModelRequest(Unique("x"), Guid.NewGuid()));
        var labeler = await f.S.LabelerA.PostAsJsonAsync($"/api/projects/{f.S.ProjectId}/models", new RegisterModelRequest(Unique("x"), f.SourceRun));
        var viewer = await f.Viewer.PostAsJsonAsync($"/api/models/{name}/versions", new RegisterVersionRequest(f.SecondRun));
        var viewerSettings = await f.Viewer.PutAsJsonAsync($"/api/models/{name}", new UpdateModelRequest("mine now", null, null, true, null));
        var outsiderByName = await f.S.Outsider.GetAsync($"/api/models/{name}");
        var model = await f.S.Scientist.GetFromJsonAsync<ModelDto>($"/api/models/{name}", Json.Options);
        var outsiderById = await f.S.Outsider.GetAsync($"/api/models/{model!.Id}");

        var store = f.Services.GetRequiredService<IArtifactStore>();
        var orphanRun = f.TextRun;
        await using (var kept = await store.OpenReadAsync(TransferHub.Web.Features.Experiments.RunArtifacts.ModelKey(orphanRun), CancellationToken.None))
        using (var copy = new MemoryStream())
        {
            await kept.CopyToAsync(copy);
            await store.DeleteAsync(TransferHub.Web.Features.Experiments.RunArtifacts.ModelKey(orphanRun), CancellationToken.None);
            var missing = await f.S.Scientist.PostAsJsonAsync($"/api/projects/{f.S.ProjectId}/models", new RegisterModelRequest("orphan", orphanRun));
            copy.Position = 0;
            await store.PutAsync(TransferHub.Web.Features.Experiments.RunArtifacts.ModelKey(orphanRun), copy, CancellationToken.None);
            missing.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
            (await f.S.Scientist.GetAsync("/api/models/orphan")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        }
        taken.StatusCode.ShouldBe(HttpStatusCode.Conflict);
        sameRun.StatusCode.ShouldBe(HttpStatusCode.Conflict);
        unknownRun.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        labeler.StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        viewer.StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        viewerSettings.StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        outsiderByName.StatusCode.ShouldBe(HttpStatusCode.NotFound);
        outsiderById.StatusCode.ShouldBe(HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task LineageFollowsTheTransferToItsRegisteredSource()
    {
        await RegisterAsync(Unique("source"), f.SourceRun);
        var target = await RegisterAsync(Unique("target"), f.TransferRun);

        var v1 = target.Versions.Single();
        // The earliest registered version of the source run is the lineage's source (other tests may register it too).
        var sourceId = v1.SourceModelVersionId.ShouldNotBeNull();
        v1.SourceRunId.ShouldBe(f.SourceRun);
        v1.SourceWeightsSha256.ShouldNotBeNull();
        var lineage = await f.Viewer.GetFromJsonAsync<LineageDto>($"/api/models/{target.Id}/versions/1/lineage", Json.Options);
        lineage!.Edges.ShouldContain(new LineageEdge($"model-version:{sourceId}", $"run:{f.TransferRun}", "transferred from"));
        lineage.Edges.ShouldContain(new LineageEdge($"run:{f.SourceRun}", $"model-version:{sourceId}", "registered as"));
        lineage.Nodes.Count(n => n.Kind == "model-version").ShouldBe(2);
        lineage.Nodes.Single(n => n.Kind == "dataset-version").Id.ShouldBe($"dataset-version:{f.Version.Id}");
    }

    [Fact]
    public async Task AnUnreliableVerdictBlocksProductionLikeANegativeOne()
    {
        // The transfer run's baseline trained 2 epochs of 5 steps: the comparison was unfair, so the arm has no verdict.
        var name = Unique("unfair");
        var model = await RegisterAsync(name, f.TransferRun);
        var version = model.Versions.Single();
        version.Verdict.ShouldBe(TransferHub.Shared.Statistics.TransferVerdict.Unreliable);
        version.VerdictReason!.ShouldStartWith("baseline under-trained — seed 1: not converged: only ");

        var request = await RequestProductionAsync(name, 1);

        var check = request.Checks.Single(c => c.Name == "transfer verdict");
        check.Outcome.ShouldBe(PolicyOutcome.Failed);
        check.Detail.ShouldContain("comparison was unfair");
        check.Detail.ShouldContain("baseline under-trained");
        request.AllChecksPassed.ShouldBeFalse();
    }

    [Fact]
    public async Task ImportedWeightsStartTheLineageByTheirHash()
    {
        var model = await RegisterAsync(Unique("imported"), f.WeightsRun);

        var v1 = model.Versions.Single();
        (v1.SourceModelVersionId, v1.SourceWeightsSha256).ShouldBe((null, f.WeightsSha256));
        var lineage = await f.Viewer.GetFromJsonAsync<LineageDto>($"/api/models/{model.Id}/versions/1/lineage", Json.Options);
        lineage!.Edges.ShouldContain(new LineageEdge($"weights:{f.WeightsSha256}", $"run:{f.WeightsRun}", "transferred from"));
        lineage.Nodes.Single(n => n.Kind == "weights").Id.ShouldBe($"weights:{f.WeightsSha256}");
    }

    private async Task<ApprovalDto> RequestProductionAsync(string model, int version, HttpClient? who = null)
    {
        var response = await (who ?? f.S.Scientist).PostAsJsonAsync($"/api/models/{model}/versions/{version}/transitions", new TransitionRequest(ModelStage.Production, "Ready"));
        response.StatusCode.ShouldBe(HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        var result = (await response.Content.ReadFromJsonAsync<TransitionResultDto>(Json.Options))!;
        result.Version.Stage.ShouldNotBe(ModelStage.Production);
        return result.Approval!;
    }

    [Fact]
    public async Task ProductionNeedsAnotherApproverAndArchivesThePreviousVersion()
    {
        var name = Unique("approved");
        var model = await RegisterAsync(name, f.SourceRun);
        await f.S.Scientist.PostAsJsonAsync($"/api/models/{name}/versions", new RegisterVersionRequest(f.SecondRun));

        var request = await RequestProductionAsync(name, 1);
        request.Status.ShouldBe(ApprovalStatus.Pending);
        request.Checks.Select(c => c.Name).ShouldBe(["test metric", "transfer verdict", "annotator agreement", "drift reference", "open drift alert"]);
        request.AllChecksPassed.ShouldBeTrue(string.Join("; ", request.Checks.Select(c => $"{c.Name}: {c.Outcome} {c.Detail}")));
        (await f.S.Scientist.PostAsJsonAsync($"/api/models/{name}/versions/1/transitions", new TransitionRequest(ModelStage.Production, null))).StatusCode.ShouldBe(HttpStatusCode.Conflict);
        (await f.S.Scientist.PostAsJsonAsync($"/api/approvals/{request.Id}/approve", new DecisionRequest("mine"))).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await f.S.LabelerA.PostAsJsonAsync($"/api/approvals/{request.Id}/approve", new DecisionRequest(null))).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await f.Viewer.PostAsJsonAsync($"/api/approvals/{request.Id}/approve", new DecisionRequest(null))).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        var notified = await f.Approver.GetFromJsonAsync<List<NotificationDto>>("/api/notifications", Json.Options);
        notified!.ShouldContain(n => n.Title == $"{name} v1: production requested");

        var approved = await f.Approver.PostAsJsonAsync($"/api/approvals/{request.Id}/approve", new DecisionRequest("Looks good"));
        approved.StatusCode.ShouldBe(HttpStatusCode.OK, await approved.Content.ReadAsStringAsync());
        (await approved.Content.ReadFromJsonAsync<ApprovalDto>(Json.Options))!.Status.ShouldBe(ApprovalStatus.Approved);
        (await f.S.Scientist.GetFromJsonAsync<ModelDto>($"/api/models/{name}", Json.Options))!.ProductionVersion.ShouldBe(1);
        (await f.S.Scientist.PostAsJsonAsync($"/api/approvals/{request.Id}/reject", new DecisionRequest(null))).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await f.Approver.PostAsJsonAsync($"/api/approvals/{request.Id}/reject", new DecisionRequest(null))).StatusCode.ShouldBe(HttpStatusCode.Conflict);
        (await f.S.Scientist.GetFromJsonAsync<List<NotificationDto>>("/api/notifications", Json.Options))!.ShouldContain(n => n.Title == $"{name} v1: approved for production");

        var cache = f.Services.GetRequiredService<TransferHub.Registry.Features.Serving.ModelCache>();
        (await Answer(name)).Version.ShouldBe(1);
        cache.IsLoaded(model.Versions.Single().Id).ShouldBeTrue();
        var second = await RequestProductionAsync(name, 2);
        (await f.Approver.PostAsJsonAsync($"/api/approvals/{second.Id}/approve", new DecisionRequest(null))).StatusCode.ShouldBe(HttpStatusCode.OK);
        // The production alias moves to the new version at once, and the old model is let go.
        (await Answer(name)).Version.ShouldBe(2);
        cache.IsLoaded(model.Versions.Single().Id).ShouldBeFalse();
        var after = await f.S.Scientist.GetFromJsonAsync<ModelDto>($"/api/models/{name}", Json.Options);
        after!.Versions.Select(v => (v.Version, v.Stage)).ShouldBe([(2, ModelStage.Production), (1, ModelStage.Archived)]);

        (await f.S.Scientist.PostAsJsonAsync($"/api/models/{name}/rollback", new DecisionRequest(null))).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        var rollback = await f.Approver.PostAsJsonAsync($"/api/models/{name}/rollback", new DecisionRequest("v2 misbehaves"));
        rollback.StatusCode.ShouldBe(HttpStatusCode.OK, await rollback.Content.ReadAsStringAsync());
        var rolledBack = await f.S.Scientist.GetFromJsonAsync<ModelDto>($"/api/models/{name}", Json.Options);
        rolledBack!.Versions.Select(v => (v.Version, v.Stage)).ShouldBe([(2, ModelStage.Archived), (1, ModelStage.Production)]);
        var audit = await f.Viewer.GetFromJsonAsync<List<AuditEntryDto>>($"/api/models/{model.Id}/audit", Json.Options);
        audit!.Where(a => a.Action is "promoted" or "production requested").Select(a => (a.Action, a.Version))
            .ShouldBe([("production requested", (int?)1), ("promoted", 1), ("production requested", 2), ("promoted", 2), ("promoted", 1)]);
        audit!.Select(a => a.Sequence).ShouldBeInOrder(SortDirection.Ascending);
    }

    private async Task<PredictResponse> Answer(string model)
    {
        var response = await f.Viewer.PostAsync($"/api/models/{model}/predict", Images(Red()));
        response.StatusCode.ShouldBe(HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<PredictResponse>(Json.Options))!;
    }

    [Fact]
    public async Task OfTwoSimultaneousPromotionsExactlyOneWins()
    {
        var name = Unique("race");
        await RegisterAsync(name, f.SourceRun);
        await f.S.Scientist.PostAsJsonAsync($"/api/models/{name}/versions", new RegisterVersionRequest(f.SecondRun));
        var first = await RequestProductionAsync(name, 1);
        var second = await RequestProductionAsync(name, 2);

        var answers = await Task.WhenAll(
            f.Approver.PostAsJsonAsync($"/api/approvals/{first.Id}/approve", new DecisionRequest(null)),
            f.S.Admin.PostAsJsonAsync($"/api/approvals/{second.Id}/approve", new DecisionRequest(null)));

        answers.Select(a => a.StatusCode).Order().ShouldBe([HttpStatusCode.OK, HttpStatusCode.Conflict]);
        var model = await f.S.Scientist.GetFromJsonAsync<ModelDto>($"/api/models/{name}", Json.Options);
        model!.Versions.Count(v => v.Stage == ModelStage.Production).ShouldBe(1);
    }

    [Fact]
    public async Task AGlobalApproverOutsideTheProjectMayDecide()
    {
        var name = Unique("global");
        var model = await RegisterAsync(name, f.SourceRun);
        var (_, global) = await f.CreateUserAsync($"global-{Guid.NewGuid():N}@example.test", TransferHub.Shared.Identity.AppRoles.Approver);
        var (_, plain) = await f.CreateUserAsync($"plain-{Guid.NewGuid():N}@example.test", TransferHub.Shared.Identity.AppRoles.Labeler);
        var request = await RequestProductionAsync(name, 1);

        (await global.GetFromJsonAsync<List<NotificationDto>>("/api/notifications", Json.Options))!.ShouldContain(n => n.Title == $"{name} v1: production requested");
        (await global.GetAsync($"/api/models/{model.Id}")).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await global.GetAsync($"/api/models/{model.Id}/approvals")).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await plain.GetAsync($"/api/models/{model.Id}")).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await global.PostAsync($"/api/models/{model.Id}/predict", Images(Red()))).StatusCode.ShouldBe(HttpStatusCode.Forbidden);

        (await plain.PostAsJsonAsync($"/api/approvals/{request.Id}/approve", new DecisionRequest(null))).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        var approved = await global.PostAsJsonAsync($"/api/approvals/{request.Id}/approve", new DecisionRequest("release"));

        approved.StatusCode.ShouldBe(HttpStatusCode.OK, await approved.Content.ReadAsStringAsync());
        (await f.S.Scientist.GetFromJsonAsync<ModelDto>($"/api/models/{model.Id}", Json.Options))!.ProductionVersion.ShouldBe(1);
    }

    [Fact]
    public async Task AFailedPolicyCheckBlocksTheApproval()
    {
        var name = Unique("policy");
        await RegisterAsync(name, f.SourceRun);
        (await f.S.Scientist.PutAsJsonAsync($"/api/models/{name}", new UpdateModelRequest(null, null, 0.5, null, null, AgreementThreshold: 0.6))).EnsureSuccessStatusCode();

        var request = await RequestProductionAsync(name, 1);
        var approve = await f.Approver.PostAsJsonAsync($"/api/approvals/{request.Id}/approve", new DecisionRequest(null));

        request.AllChecksPassed.ShouldBeFalse();
        request.Checks.Single(c => c.Name == "annotator agreement").Outcome.ShouldBe(PolicyOutcome.Failed);
        approve.StatusCode.ShouldBe(HttpStatusCode.Conflict);
        (await approve.Content.ReadAsStringAsync()).ShouldContain("annotator agreement");
        (await f.S.Scientist.GetFromJsonAsync<ModelDto>($"/api/models/{name}", Json.Options))!.ProductionVersion.ShouldBeNull();
    }

    [Fact]
    public async Task ServingAnswersWithTheProductionVersionAndRefusesBadInput()
    {
        var name = Unique("serve");
        var model = await RegisterAsync(name, f.SourceRun);
        (await f.Viewer.PostAsync($"/api/models/{name}/predict", Images(Red()))).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        var request = await RequestProductionAsync(name, 1);
        (await f.Approver.PostAsJsonAsync($"/api/approvals/{request.Id}/approve", new DecisionRequest(null))).EnsureSuccessStatusCode();

        var random = new Random(9);
        var response = await f.Viewer.PostAsync($"/api/models/{name}/predict", Images(RegistryFixture.Square(true, random), RegistryFixture.Square(false, random), RegistryFixture.Square(true, random)));
        response.StatusCode.ShouldBe(HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        var answer = (await response.Content.ReadFromJsonAsync<PredictResponse>(Json.Options))!;
        (answer.Model, answer.Version, answer.Stage).ShouldBe((name, 1, ModelStage.Production));
        answer.Predictions.Select(p => p.Label).ShouldBe(["red", "blue", "red"]);
        answer.Predictions.ShouldAllBe(p => Math.Abs(p.Probabilities.Values.Sum() - 1) < 1e-4 && p.Confidence == p.Probabilities[p.Label]);
        (await f.Viewer.PostAsync($"/api/models/{model.Id}/versions/1/predict", Images(Red()))).StatusCode.ShouldBe(HttpStatusCode.OK);

        (await f.Viewer.PostAsync($"/api/models/{name}/versions/9/predict", Images(Red()))).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await f.Viewer.PostAsJsonAsync($"/api/models/{name}/predict", new PredictTextRequest("red", null))).StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await f.Viewer.PostAsync($"/api/models/{name}/predict", Images([0x89, 0x50, 0x4E, 0x47, 1, 2, 3]))).StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await f.Viewer.PostAsync($"/api/models/{name}/predict", Images([.. Enumerable.Range(0, 65).Select(_ => Red())]))).StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        var huge = await f.Viewer.PostAsync($"/api/models/{name}/predict", Images(PngHeader(8000, 8000)));
        huge.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await huge.Content.ReadAsStringAsync()).ShouldContain("40 megapixels");
        // A truncated image is refused, not predicted on with its missing rows filled in grey.
        var noise = Integration.Datasets.DatasetScenario.Noise(24, 24, SkiaSharp.SKEncodedImageFormat.Png);
        var truncated = await f.Viewer.PostAsync($"/api/models/{name}/predict", Images(noise[..(noise.Length * 2 / 3)]));
        truncated.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await truncated.Content.ReadAsStringAsync()).ShouldContain("corrupt");
        // Several large images in one request: the decoding budget of a request is capped.
        var large = Integration.Datasets.DatasetScenario.Png(5000, 5000, SkiaSharp.SKColors.Black);
        var tooMuch = await f.Viewer.PostAsync($"/api/models/{name}/predict", Images(large, large, large));
        tooMuch.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await tooMuch.Content.ReadAsStringAsync()).ShouldContain("at most 64 megapixels in all");
        (await f.S.Outsider.PostAsync($"/api/models/{model.Id}/predict", Images(Red()))).StatusCode.ShouldBe(HttpStatusCode.Forbidden);

        (await f.S.Scientist.PostAsJsonAsync($"/api/models/{name}/versions/1/transitions", new TransitionRequest(ModelStage.Archived, "retired"))).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await f.Approver.PostAsJsonAsync($"/api/models/{name}/versions/1/transitions", new TransitionRequest(ModelStage.Archived, "retired"))).EnsureSuccessStatusCode();
        (await f.Viewer.PostAsync($"/api/models/{name}/versions/1/predict", Images(Red()))).StatusCode.ShouldBe(HttpStatusCode.Conflict);
        (await f.Viewer.PostAsync($"/api/models/{name}/predict", Images(Red()))).StatusCode.ShouldBe(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task TextModelsTakeJsonTextsAndRefuseImages()
    {
        var name = Unique("reviews");
        var model = await RegisterAsync(name, f.TextRun, threshold: null);
        model.Versions.Single().Input.Kind.ShouldBe("text");
        model.Versions.Single().HasReferenceProfile.ShouldBeTrue();
        // Text models export too: token ids in (the tokenizer stays with the caller), checked by ONNX Runtime.
        var onnx = await f.Viewer.GetAsync($"/api/models/{name}/versions/1/download?format=onnx");
        onnx.StatusCode.ShouldBe(HttpStatusCode.OK, await onnx.Content.ReadAsStringAsync());
        onnx.Headers.GetValues("X-Onnx-Check").Single().ShouldBe(model.Versions.Single().OnnxCheck); // stored at registration
        model.Versions.Single().OnnxCheck!.ShouldContain("token ids");
        var exported = await onnx.Content.ReadAsByteArrayAsync();
        Convert.ToHexStringLower(SHA256.HashData(exported)).ShouldBe(model.Versions.Single().OnnxSha256);
        var graph = global::Onnx.ModelProto.Parser.ParseFrom(exported);
        graph.Graph.Input.Single().Name.ShouldBe("input_ids");
        graph.MetadataProps.Single(p => p.Key == "classes").Value.ShouldBe(System.Text.Json.JsonSerializer.Serialize(model.Versions.Single().Labels)); // the file alone can be served

        var batch = await f.Viewer.PostAsJsonAsync($"/api/models/{name}/versions/1/predict", new PredictTextRequest(null, ["a great lovely film", "terrible and boring"]));
        var one = await f.Viewer.PostAsJsonAsync($"/api/models/{name}/versions/latest/predict", new PredictTextRequest("excellent", null));
        var image = await f.Viewer.PostAsync($"/api/models/{name}/versions/1/predict", Images(Red()));
        var empty = await f.Viewer.PostAsJsonAsync($"/api/models/{name}/versions/1/predict", new PredictTextRequest(null, []));
        var tooLong = await f.Viewer.PostAsJsonAsync($"/api/models/{name}/versions/1/predict", new PredictTextRequest(new string('a', 20_001), null));

        batch.StatusCode.ShouldBe(HttpStatusCode.OK, await batch.Content.ReadAsStringAsync());
        (await batch.Content.ReadFromJsonAsync<PredictResponse>(Json.Options))!.Predictions.Select(p => p.Label).ShouldBe(["good", "bad"]);
        (await one.Content.ReadFromJsonAsync<PredictResponse>(Json.Options))!.Predictions.Single().Label.ShouldBe("good");
        image.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await image.Content.ReadAsStringAsync()).ShouldContain("reads texts");
        empty.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        tooLong.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task VersionsRegisteredBeforeExportsWereStoredGetTheirsInTheBackgroundOnce()
    {
        var name = Unique("backfill");
        var model = await RegisterAsync(name, f.SourceRun);
        var v1 = model.Versions.Single();
        using (var scope = f.Services.CreateScope())
        await using (var db = await scope.ServiceProvider.GetRequiredService<Microsoft.EntityFrameworkCore.IDbContextFactory<TransferHub.Web.Data.AppDbContext>>().CreateDbContextAsync())
        {
            // As a version registered before this release: no export recorded.
            await db.Set<TransferHub.Registry.Features.Models.ModelVersion>().Where(v => v.Id == v1.Id).ExecuteUpdateAsync(s => s.SetProperty(v => v.OnnxArtifactKey, (string?)null).SetProperty(v => v.OnnxSha256, (string?)null).SetProperty(v => v.OnnxCheck, (string?)null));
        }
        var backfill = f.Services.GetRequiredService<TransferHub.Registry.Features.Serving.OnnxBackfill>();

        var first = await backfill.BackfillAsync(CancellationToken.None);
        var again = await backfill.BackfillAsync(CancellationToken.None);

        (first, again).ShouldBe((1, 0)); // the other tests' versions already have theirs
        var after = (await f.Viewer.GetFromJsonAsync<ModelDto>($"/api/models/{name}", Json.Options))!.Versions.Single();
        after.OnnxSha256.ShouldNotBeNull();
        after.OnnxCheck!.ShouldContain("relative");
        var onnx = await f.Viewer.GetAsync($"/api/models/{name}/versions/1/download?format=onnx");
        Convert.ToHexStringLower(SHA256.HashData(await onnx.Content.ReadAsByteArrayAsync())).ShouldBe(after.OnnxSha256);
        (after.Sha256, after.ArtifactKey).ShouldBe((v1.Sha256, v1.ArtifactKey)); // the version itself is unchanged
    }

    [Fact]
    public async Task ATamperedArtifactIsRefused()
    {
        var name = Unique("tamper");
        var model = await RegisterAsync(name, f.SourceRun);
        var v1 = model.Versions.Single();
        v1.OnnxSha256.ShouldNotBeNull(); // small-cnn has a writer: its export is stored beside the weights
        var cache = f.Services.GetRequiredService<TransferHub.Registry.Features.Serving.ModelCache>();
        // Registration loaded the model for its reference profile and let it go: the next load reads the store again.
        cache.IsLoaded(v1.Id).ShouldBeFalse();

        await TamperAsync(v1.ArtifactKey);
        var servedFromOnnx = await f.Viewer.PostAsync($"/api/models/{name}/versions/1/predict", Images(Red()));
        var download = await f.Viewer.GetAsync($"/api/models/{name}/versions/1/download");
        cache.Evict(v1.Id);
        await TamperAsync($"models/{model.Id:N}/v1/model.onnx");
        var predict = await f.Viewer.PostAsync($"/api/models/{name}/versions/1/predict", Images(Red()));
        var onnx = await f.Viewer.GetAsync($"/api/models/{name}/versions/1/download?format=onnx");

        // Serving with ONNX Runtime reads only the (intact) export; each artifact is refused once its own bytes change.
        servedFromOnnx.StatusCode.ShouldBe(HttpStatusCode.OK);
        download.StatusCode.ShouldBe(HttpStatusCode.Conflict);
        predict.StatusCode.ShouldBe(HttpStatusCode.Conflict);
        (await predict.Content.ReadAsStringAsync()).ShouldContain("SHA-256");
        onnx.StatusCode.ShouldBe(HttpStatusCode.Conflict);
    }

    private async Task TamperAsync(string key)
    {
        var store = f.Services.GetRequiredService<IArtifactStore>();
        byte[] bytes;
        await using (var stream = await store.OpenReadAsync(key, CancellationToken.None))
        using (var buffer = new MemoryStream())
        {
            await stream.CopyToAsync(buffer);
            bytes = buffer.ToArray();
        }
        bytes[^1] ^= 0x40;
        await store.PutAsync(key, new MemoryStream(bytes), CancellationToken.None);
    }

    /// <summary>A PNG that claims a size in its header but carries almost no pixel data: it must be refused unread.</summary>
    private static byte[] PngHeader(int width, int height)
    {
        var png = new List<byte>([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]);
        void Chunk(string type, byte[] data)
        {
            png.AddRange(BitConverter.GetBytes(System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(data.Length)));
            byte[] body = [.. System.Text.Encoding.ASCII.GetBytes(type), .. data];
            png.AddRange(body);
            png.AddRange(BitConverter.GetBytes(System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(Crc32(body))));
        }
        var header = new byte[13];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(header, width);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), height);
        (header[8], header[9]) = (8, 2); // 8-bit RGB
        Chunk("IHDR", header);
        Chunk("IDAT", [0x78, 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01]);
        Chunk("IEND", []);
        return [.. png];
    }

    private static uint Crc32(byte[] data)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in data)
        {
            crc ^= b;
            for (var k = 0; k < 8; k++)
            {
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320u : crc >> 1;
            }
        }
        return ~crc;
    }

    private static byte[] Red() => RegistryFixture.Square(true, new Random(1));

    private static MultipartFormDataContent Images(params byte[][] images)
    {
        var form = new MultipartFormDataContent();
        for (var i = 0; i < images.Length; i++)
        {
            form.Add(new ByteArrayContent(images[i]), "files", $"{i}.png");
        }
        return form;
    }
}
