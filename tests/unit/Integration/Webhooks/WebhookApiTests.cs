using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using TransferHub.Shared.Datasets;
using TransferHub.Shared.Webhooks;
using TransferHub.Tests.Support;
using TransferHub.Tests.Unit.Integration.Datasets;
using TransferHub.Web.Features.Webhooks;

namespace TransferHub.Tests.Unit.Integration.Webhooks;

/// <summary>The app with receivers on loopback allowed (as an admin would for an on-premises service), short timeouts.</summary>
public sealed class WebhookFactory : TransferHubFactory
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseSetting("Webhooks:AllowPrivateTargets", "true");
        builder.UseSetting("Webhooks:Timeout", "00:00:03");
        builder.UseSetting("Webhooks:PollInterval", "00:00:00.050");
        builder.UseSetting("Webhooks:PublicBaseUrl", "https://transferhub.example");
    }
}

public sealed class WebhookApiTests(WebhookFactory factory) : IClassFixture<WebhookFactory>
{
    private static async Task<CreatedWebhookDto> CreateAsync(HttpClient client, string path, string url, WebhookFormat format = WebhookFormat.Json, params string[] events)
    {
        var response = await client.PostAsJsonAsync(path, new CreateWebhookRequest(url, events, format), Json.Options);
        response.StatusCode.ShouldBe(HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<CreatedWebhookDto>(Json.Options))!;
    }

    /// <summary>The delivery once it has been tried <paramref name="attempts"/> times.</summary>
    private static async Task<WebhookDeliveryDto> WaitSettledAsync(HttpClient client, Guid webhookId, Guid deliveryId, int attempts = 1)
    {
        for (var i = 0; i < 300; i++)
        {
            if (await DeliveryAsync(client, webhookId, deliveryId) is { } tried && tried.Attempts >= attempts)
            {
                return tried;
            }
            await Task.Delay(50); // bounded poll of the delivery log
        }
        throw new TimeoutException("The delivery was never tried.");
    }

    private static async Task<WebhookDeliveryDto?> DeliveryAsync(HttpClient client, Guid webhookId, Guid deliveryId) =>
        (await client.GetFromJsonAsync<List<WebhookDeliveryDto>>($"/api/webhooks/{webhookId}/deliveries", Json.Options))!.SingleOrDefault(d => d.Id == deliveryId);

    [Fact]
    public async Task APingArrivesSignedWithTheSecretShownOnceAndTheLogRecordsIt()
    {
        var s = await DatasetScenario.CreateAsync(factory);
        await using var receiver = await WebhookReceiver.StartAsync();
        var created = await CreateAsync(s.Admin, $"/api/projects/{s.ProjectId}/webhooks", receiver.Url);

        var ping = await s.Admin.PostAsync($"/api/webhooks/{created.Webhook.Id}/ping", null);
        ping.StatusCode.ShouldBe(HttpStatusCode.Accepted);
        var delivery = (await ping.Content.ReadFromJsonAsync<WebhookDeliveryDto>(Json.Options))!;
        var got = (await receiver.WaitForAsync(1)).Single();
        var logged = await WaitSettledAsync(s.Admin, created.Webhook.Id, delivery.Id);

        created.Secret.ShouldStartWith("whsec_");
        (await s.Admin.GetStringAsync($"/api/projects/{s.ProjectId}/webhooks")).ShouldNotContain(created.Secret);
        got.Event.ShouldBe(WebhookEvents.Ping);
        got.ContentType.ShouldStartWith("application/json");
        WebhookBodies.Verify(created.Secret, got.Signature, got.Body, factory.Clock.GetUtcNow(), TimeSpan.FromMinutes(5)).ShouldBeTrue(got.Signature);
        WebhookBodies.Verify("whsec_wrong", got.Signature, got.Body, factory.Clock.GetUtcNow(), TimeSpan.FromMinutes(5)).ShouldBeFalse();
        var payload = JsonSerializer.Deserialize<WebhookPayload>(got.Body, Json.Options)!;
        (payload.SpecVersion, payload.Event, payload.ProjectId).ShouldBe((1, WebhookEvents.Ping, s.ProjectId));
        got.Delivery.ShouldBe(payload.EventId.ToString());
        (logged.Status, logged.Attempts, logged.LastStatusCode).ShouldBe((WebhookDeliveryStatus.Delivered, 1, 200));
    }

    [Fact]
    public async Task AnImportFinishingReachesTheProjectsWebhookAndAGlobalOneButNotAnotherProjects()
    {
        var s = await DatasetScenario.CreateAsync(factory);
        var other = await DatasetScenario.CreateAsync(factory);
        await using var projectReceiver = await WebhookReceiver.StartAsync();
        await using var globalReceiver = await WebhookReceiver.StartAsync();
        await using var otherReceiver = await WebhookReceiver.StartAsync();
        await CreateAsync(s.Admin, $"/api/projects/{s.ProjectId}/webhooks", projectReceiver.Url, WebhookFormat.Json, WebhookEvents.ImportFinished);
        await CreateAsync(s.Admin, "/api/webhooks", globalReceiver.Url, WebhookFormat.Slack, WebhookEvents.ImportFinished);
        var otherHook = (await CreateAsync(other.Admin, $"/api/projects/{other.ProjectId}/webhooks", otherReceiver.Url, WebhookFormat.Json, WebhookEvents.ImportFinished)).Webhook;
        var dataset = await s.CreateDatasetAsync(DatasetKind.Text, LabelTask.SingleLabel, 0, "spam", "ham");

        await s.ImportAsync(dataset.Id, [("mails.txt", "hello\nwin money now\nmeeting at 3\n"u8.ToArray())]);
        var json = (await projectReceiver.WaitForAsync(1)).Single();
        var slack = (await globalReceiver.WaitForAsync(1)).Single();

        var payload = JsonSerializer.Deserialize<WebhookPayload>(json.Body, Json.Options)!;
        payload.Event.ShouldBe(WebhookEvents.ImportFinished);
        ((JsonElement)payload.Data["added"]!).GetInt32().ShouldBe(3);
        payload.Link.ShouldBe($"https://transferhub.example/datasets/{dataset.Id}"); // absolute with Webhooks:PublicBaseUrl
        var text = JsonDocument.Parse(slack.Body).RootElement.GetProperty("text").GetString()!;
        text.ShouldContain("import.finished");
        text.ShouldContain($"<https://transferhub.example/datasets/{dataset.Id}|Open>");
        // Deliveries are written when the event is published: none for the other project's webhook, none in flight.
        (await other.Admin.GetFromJsonAsync<List<WebhookDeliveryDto>>($"/api/webhooks/{otherHook.Id}/deliveries", Json.Options))!.ShouldBeEmpty();
        otherReceiver.Requests.ShouldBeEmpty();
    }

    [Fact]
    public async Task AFailedTryIsRetriedWithBackoffAndARedeliveryKeepsTheEventId()
    {
        var s = await DatasetScenario.CreateAsync(factory);
        await using var receiver = await WebhookReceiver.StartAsync();
        var hook = (await CreateAsync(s.Admin, $"/api/projects/{s.ProjectId}/webhooks", receiver.Url)).Webhook;
        receiver.ThenAnswer(500);

        var delivery = (await (await s.Admin.PostAsync($"/api/webhooks/{hook.Id}/ping", null)).Content.ReadFromJsonAsync<WebhookDeliveryDto>(Json.Options))!;
        var first = await WaitSettledAsync(s.Admin, hook.Id, delivery.Id);
        (first.Status, first.Attempts, first.LastStatusCode).ShouldBe((WebhookDeliveryStatus.Pending, 1, 500));
        first.NextAttemptAt!.Value.ShouldBe(factory.Clock.GetUtcNow() + TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(1));
        factory.Clock.Advance(TimeSpan.FromSeconds(11));
        var arrived = await receiver.WaitForAsync(2);
        var second = await WaitSettledAsync(s.Admin, hook.Id, delivery.Id, attempts: 2);

        (second.Status, second.Attempts, second.LastStatusCode).ShouldBe((WebhookDeliveryStatus.Delivered, 2, 200));
        var again = await s.Admin.PostAsync($"/api/webhooks/deliveries/{delivery.Id}/redeliver", null);
        again.StatusCode.ShouldBe(HttpStatusCode.Accepted);
        var third = (await receiver.WaitForAsync(3))[2];
        third.Delivery.ShouldBe(arrived[0].Delivery); // the same event: a receiver can deduplicate
        third.Body.ShouldBe(arrived[0].Body);
    }

    [Fact]
    public async Task AHangingReceiverTimesOutWithoutHoldingTheAppAndARedirectIsNotFollowed()
    {
        var s = await DatasetScenario.CreateAsync(factory);
        await using var receiver = await WebhookReceiver.StartAsync();
        var hook = (await CreateAsync(s.Admin, $"/api/projects/{s.ProjectId}/webhooks", receiver.Url)).Webhook;
        receiver.ThenHang(TimeSpan.FromSeconds(30));
        receiver.ThenRedirect("http://169.254.169.254/latest/meta-data/");

        var hung = (await (await s.Admin.PostAsync($"/api/webhooks/{hook.Id}/ping", null)).Content.ReadFromJsonAsync<WebhookDeliveryDto>(Json.Options))!;
        await receiver.WaitForAsync(1);
        (await s.Admin.GetAsync($"/api/projects/{s.ProjectId}/webhooks")).StatusCode.ShouldBe(HttpStatusCode.OK);
        var inFlight = await DeliveryAsync(s.Admin, hook.Id, hung.Id); // the API answered while the receiver still holds the try
        var timedOut = await WaitSettledAsync(s.Admin, hook.Id, hung.Id);
        var redirected = (await (await s.Admin.PostAsync($"/api/webhooks/{hook.Id}/ping", null)).Content.ReadFromJsonAsync<WebhookDeliveryDto>(Json.Options))!;
        var refused = await WaitSettledAsync(s.Admin, hook.Id, redirected.Id);

        inFlight!.Attempts.ShouldBe(0);
        (timedOut.Status, timedOut.LastStatusCode).ShouldBe((WebhookDeliveryStatus.Pending, null));
        timedOut.LastError.ShouldBe("No answer within 3 s.");
        (refused.Status, refused.LastStatusCode).ShouldBe((WebhookDeliveryStatus.Failed, 302)); // not retried either
        refused.LastError!.ShouldContain("not followed");
    }

    [Fact]
    public async Task AnOwnerWhoIsNoAdminManagesTheProjectsWebhooksButNotAnotherProjectsNorGlobalOnes()
    {
        var s = await DatasetScenario.CreateAsync(factory);
        var other = await DatasetScenario.CreateAsync(factory);
        var tag = Guid.NewGuid().ToString("N")[..8];
        var (ownerId, owner) = await factory.CreateUserAsync($"owner-{tag}@example.test", TransferHub.Shared.Identity.AppRoles.Scientist);
        (await s.Admin.PostAsJsonAsync($"/api/projects/{s.ProjectId}/members",
            new TransferHub.Shared.Projects.AddMemberRequest(ownerId, null, TransferHub.Shared.Projects.ProjectRole.Owner))).EnsureSuccessStatusCode();
        var othersHook = (await CreateAsync(other.Admin, $"/api/projects/{other.ProjectId}/webhooks", "https://hooks.example.com/other")).Webhook;
        var othersPing = (await (await other.Admin.PostAsync($"/api/webhooks/{othersHook.Id}/ping", null)).Content.ReadFromJsonAsync<WebhookDeliveryDto>(Json.Options))!;

        var mine = await CreateAsync(owner, $"/api/projects/{s.ProjectId}/webhooks", "https://hooks.example.com/mine");

        (await owner.GetFromJsonAsync<List<WebhookDto>>($"/api/projects/{s.ProjectId}/webhooks", Json.Options))!.ShouldHaveSingleItem().Id.ShouldBe(mine.Webhook.Id);
        (await owner.PostAsync($"/api/webhooks/{mine.Webhook.Id}/ping", null)).StatusCode.ShouldBe(HttpStatusCode.Accepted);
        (await owner.GetAsync($"/api/webhooks/{othersHook.Id}/deliveries")).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await owner.PostAsync($"/api/webhooks/{othersHook.Id}/ping", null)).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await owner.PostAsync($"/api/webhooks/deliveries/{othersPing.Id}/redeliver", null)).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await owner.DeleteAsync($"/api/webhooks/{othersHook.Id}")).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await owner.GetAsync("/api/webhooks")).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await owner.PostAsJsonAsync("/api/webhooks", new CreateWebhookRequest("https://hooks.example.com/all", null))).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await s.LabelerA.PostAsync($"/api/webhooks/deliveries/{othersPing.Id}/redeliver", null)).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await owner.DeleteAsync($"/api/webhooks/{mine.Webhook.Id}")).StatusCode.ShouldBe(HttpStatusCode.NoContent);
    }

    [Fact]
    public async Task MembersWhoAreNotOwnersOutsidersAndAnonymousCallersGetNowhere()
    {
        var s = await DatasetScenario.CreateAsync(factory);
        var hook = (await CreateAsync(s.Admin, $"/api/projects/{s.ProjectId}/webhooks", "https://hooks.example.com/x")).Webhook;
        var request = new CreateWebhookRequest("https://hooks.example.com/y", null);

        (await s.Scientist.GetAsync($"/api/projects/{s.ProjectId}/webhooks")).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await s.Scientist.PostAsJsonAsync($"/api/projects/{s.ProjectId}/webhooks", request)).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await s.Outsider.GetAsync($"/api/projects/{s.ProjectId}/webhooks")).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await s.Scientist.PostAsync($"/api/webhooks/{hook.Id}/ping", null)).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await s.Scientist.GetAsync($"/api/webhooks/{hook.Id}/deliveries")).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await s.Scientist.DeleteAsync($"/api/webhooks/{hook.Id}")).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await s.Scientist.GetAsync("/api/webhooks")).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await s.Scientist.PostAsJsonAsync("/api/webhooks", request)).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await factory.CreateClient().GetAsync($"/api/projects/{s.ProjectId}/webhooks")).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        (await s.Admin.DeleteAsync($"/api/webhooks/{hook.Id}")).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        (await s.Admin.GetAsync($"/api/webhooks/{hook.Id}/deliveries")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
    }

    [Theory]
    [InlineData("not a url", "url")]
    [InlineData("ftp://example.com/hook", "url")]
    [InlineData("https://user:secret@example.com/hook", "url")]
    public async Task ABadWebhookIsRefusedNamingTheField(string url, string field)
    {
        var s = await DatasetScenario.CreateAsync(factory);

        var response = await s.Admin.PostAsJsonAsync($"/api/projects/{s.ProjectId}/webhooks", new CreateWebhookRequest(url, null));

        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await response.Content.ReadAsStringAsync()).ShouldContain($"\"{field}\"");
    }

    [Fact]
    public async Task AnUnknownEventIsRefused()
    {
        var s = await DatasetScenario.CreateAsync(factory);

        var response = await s.Admin.PostAsJsonAsync($"/api/projects/{s.ProjectId}/webhooks", new CreateWebhookRequest("https://hooks.example.com/x", ["run.exploded"]));

        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await response.Content.ReadAsStringAsync()).ShouldContain("run.exploded");
    }
}

/// <summary>The default settings: webhooks reach public addresses only.</summary>
public sealed class WebhookTargetApiTests(TransferHubFactory factory) : IClassFixture<TransferHubFactory>
{
    [Theory]
    [InlineData("http://127.0.0.1:8080/hook")]
    [InlineData("http://localhost/hook")]
    [InlineData("http://169.254.169.254/latest/meta-data/")]
    [InlineData("http://10.0.0.5/hook")]
    [InlineData("http://[::1]/hook")]
    [InlineData("http://[::127.0.0.1]/hook")]
    public async Task APrivateOrLoopbackTargetIsRefusedUnlessAnAdminAllowsIt(string url)
    {
        var s = await DatasetScenario.CreateAsync(factory);

        var response = await s.Admin.PostAsJsonAsync($"/api/projects/{s.ProjectId}/webhooks", new CreateWebhookRequest(url, null));

        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await response.Content.ReadAsStringAsync()).ShouldContain("Webhooks:AllowPrivateTargets");
    }

    [Fact]
    public async Task TheAppsWebhookClientRefusesToDialALoopbackAddress()
    {
        // The client as registered (no proxy, the address check at connect), not a hand-built one.
        var client = factory.Services.GetRequiredService<IHttpClientFactory>().CreateClient(WebhookDispatcher.ClientName);

        var error = await Should.ThrowAsync<HttpRequestException>(() => client.GetAsync("http://127.0.0.1:9/"));

        error.InnerException.ShouldBeOfType<WebhookTargetRefusedException>();
    }
}
