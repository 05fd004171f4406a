using System.Text.Json;
using TransferHub.Shared.Webhooks;
using TransferHub.Web.Features.Webhooks;

namespace TransferHub.Tests.Unit.Web.Webhooks;

public sealed class WebhookBodiesTests
{
    private static readonly DateTimeOffset Now = DateTimeOffset.Parse("2026-12-04T12:00:00Z");

    private static string Payload(string? link) => JsonSerializer.Serialize(new WebhookPayload(1, Guid.NewGuid(), WebhookEvents.RunFailed, Now, Guid.NewGuid(),
        "exp: arm <b> & co failed", link, new Dictionary<string, object?> { ["seed"] = 3 }), WebhookBodies.Json);

    [Fact]
    public void ASignatureVerifiesOnlyForItsSecretItsBodyAndARecentTimestamp()
    {
        var secret = WebhookBodies.NewSecret();
        var body = Payload(null);
        var header = WebhookBodies.Sign(secret, Now.ToUnixTimeSeconds(), body);

        header.ShouldStartWith($"t={Now.ToUnixTimeSeconds()},v1=");
        WebhookBodies.Verify(secret, header, body, Now.AddSeconds(30), TimeSpan.FromMinutes(5)).ShouldBeTrue();
        WebhookBodies.Verify(secret, header, body + " ", Now, TimeSpan.FromMinutes(5)).ShouldBeFalse(); // tampered body
        WebhookBodies.Verify(WebhookBodies.NewSecret(), header, body, Now, TimeSpan.FromMinutes(5)).ShouldBeFalse(); // another secret
        WebhookBodies.Verify(secret, header, body, Now.AddMinutes(10), TimeSpan.FromMinutes(5)).ShouldBeFalse(); // replayed later
        WebhookBodies.Verify(secret, header.Replace($"t={Now.ToUnixTimeSeconds()}", $"t={Now.AddMinutes(9).ToUnixTimeSeconds()}"), body, Now.AddMinutes(10), TimeSpan.FromMinutes(5))
            .ShouldBeFalse(); // a fresher timestamp does not fit the signature
        WebhookBodies.Verify(secret, "garbage", body, Now, TimeSpan.FromMinutes(5)).ShouldBeFalse();
    }

    [Fact]
    public void TwoSecretsAreNeverTheSame() => WebhookBodies.NewSecret().ShouldNotBe(WebhookBodies.NewSecret());

    [Fact]
    public void JsonIsSentAsStored()
    {
        var payload = Payload(null);

        WebhookBodies.Render(WebhookFormat.Json, payload).ShouldBe(payload);
    }

    [Fact]
    public void SlackGetsEscapedTextWithALinkWhenTheLinkIsAbsolute()
    {
        var text = JsonDocument.Parse(WebhookBodies.Render(WebhookFormat.Slack, Payload("https://th.example/experiments/1"))).RootElement.GetProperty("text").GetString()!;
        var relative = JsonDocument.Parse(WebhookBodies.Render(WebhookFormat.Slack, Payload("/experiments/1"))).RootElement.GetProperty("text").GetString()!;

        text.ShouldBe("*TransferHub* · `run.failed` · exp: arm &lt;b&gt; &amp; co failed <https://th.example/experiments/1|Open>");
        relative.ShouldNotContain("Open");
    }

    [Fact]
    public void TeamsGetsAMessageCardRedForFailures()
    {
        var card = JsonDocument.Parse(WebhookBodies.Render(WebhookFormat.Teams, Payload("https://th.example/experiments/1"))).RootElement;

        card.GetProperty("@type").GetString().ShouldBe("MessageCard");
        card.GetProperty("themeColor").GetString().ShouldBe("D13438");
        card.GetProperty("text").GetString().ShouldBe("exp: arm <b> & co failed");
        card.GetProperty("potentialAction")[0].GetProperty("targets")[0].GetProperty("uri").GetString().ShouldBe("https://th.example/experiments/1");
        JsonDocument.Parse(WebhookBodies.Render(WebhookFormat.Teams, Payload("/experiments/1"))).RootElement.TryGetProperty("potentialAction", out _).ShouldBeFalse();
    }
}
