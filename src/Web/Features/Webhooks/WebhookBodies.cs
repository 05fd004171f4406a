using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using TransferHub.Shared.Webhooks;

namespace TransferHub.Web.Features.Webhooks;

/// <summary>Secrets, signatures and the three body formats.</summary>
public static class WebhookBodies
{
    public const string SignatureHeader = "X-TransferHub-Signature";
    public const string EventHeader = "X-TransferHub-Event";
    public const string DeliveryHeader = "X-TransferHub-Delivery";

    // NaN can come out of statistics (a p-value, a mean over no seed); enums are written as names, as the API does.
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter() },
    };

    /// <summary>A fresh signing secret: 32 random bytes.</summary>
    public static string NewSecret() => "whsec_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));

    /// <summary><c>t={unix seconds},v1={hex HMAC-SHA256 over "{t}.{body}"}</c>: the timestamp is signed too, so a replayed old body shows its age.</summary>
    public static string Sign(string secret, long unixSeconds, string body)
    {
        var mac = HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes($"{unixSeconds}.{body}"));
        return $"t={unixSeconds},v1={Convert.ToHexStringLower(mac)}";
    }

    /// <summary>What the receiver does: true when the signature matches and is no older than <paramref name="tolerance"/>.</summary>
    public static bool Verify(string secret, string header, string body, DateTimeOffset now, TimeSpan tolerance)
    {
        long? seconds = null;
        var given = new List<string>();
        foreach (var part in header.Split(','))
        {
            var pair = part.Split('=', 2);
            if (pair.Length != 2)
            {
                return false;
            }
            switch (pair[0].Trim())
            {
                case "t" when seconds is null && long.TryParse(pair[1].Trim(), out var t):
                    seconds = t;
                    break;
                case "t":
                    return false; // two timestamps, or not a number
                case "v1":
                    given.Add(pair[1].Trim()); // several while a secret is rotated
                    break;
            }
        }
        if (seconds is not { } at || given.Count == 0 || (now - DateTimeOffset.FromUnixTimeSeconds(Math.Clamp(at, -62135596800L, 253402300799L))).Duration() > tolerance)
        {
            return false;
        }
        var expected = Encoding.ASCII.GetBytes(Sign(secret, at, body).Split("v1=")[1]);
        return given.Any(g => CryptographicOperations.FixedTimeEquals(expected, Encoding.ASCII.GetBytes(g)));
    }

    /// <summary>The body sent to a webhook of <paramref name="format"/> for a stored JSON payload.</summary>
    public static string Render(WebhookFormat format, string payloadJson)
    {
        if (format == WebhookFormat.Json)
        {
            return payloadJson;
        }
        var payload = JsonSerializer.Deserialize<WebhookPayload>(payloadJson, Json)!;
        // On Unix "/experiments/1" parses as an absolute file URI: only a web address counts.
        var absolute = payload.Link is { } l && Uri.TryCreate(l, UriKind.Absolute, out var u) && (u.Scheme == Uri.UriSchemeHttps || u.Scheme == Uri.UriSchemeHttp) ? l : null;
        return format switch
        {
            // Slack's mrkdwn: <url|label>; &, < and > escaped in the text.
            WebhookFormat.Slack => JsonSerializer.Serialize(new
            {
                text = $"*TransferHub* · `{payload.Event}` · {SlackEscape(payload.Summary)}{(absolute is null ? "" : $" <{absolute}|Open>")}",
            }, Json),
            _ => JsonSerializer.Serialize(TeamsCard(payload, absolute), Json),
        };
    }

    private static Dictionary<string, object> TeamsCard(WebhookPayload payload, string? link)
    {
        var alarming = payload.Event is WebhookEvents.RunFailed or WebhookEvents.NegativeTransferWarning or WebhookEvents.Drift;
        var card = new Dictionary<string, object>
        {
            ["@type"] = "MessageCard",
            ["@context"] = "https://schema.org/extensions",
            ["summary"] = payload.Summary,
            ["themeColor"] = alarming ? "D13438" : "0F6CBD",
            ["title"] = $"TransferHub · {payload.Event}",
            ["text"] = payload.Summary,
        };
        if (link is not null)
        {
            card["potentialAction"] = new object[]
            {
                new Dictionary<string, object> { ["@type"] = "OpenUri", ["name"] = "Open", ["targets"] = new[] { new { os = "default", uri = link } } },
            };
        }
        return card;
    }

    private static string SlackEscape(string text) => text.Replace("&", "&amp;", StringComparison.Ordinal)
        .Replace("<", "&lt;", StringComparison.Ordinal).Replace(">", "&gt;", StringComparison.Ordinal);
}
