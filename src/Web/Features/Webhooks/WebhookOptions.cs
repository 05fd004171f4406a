using System.ComponentModel.DataAnnotations;

namespace TransferHub.Web.Features.Webhooks;

/// <summary>Configuration section <c>Webhooks</c>.</summary>
public sealed class WebhookOptions
{
    public const string Section = "Webhooks";

    /// <summary>Let webhooks reach loopback and private-network addresses (an on-premises receiver). Off: public only.</summary>
    public bool AllowPrivateTargets { get; set; }

    /// <summary>How long one try may take before it counts as failed; a hanging receiver never holds more than this.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:05:00")]
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Tries per delivery before it is marked failed (backoff 10 s, 30 s, 1 min, 5 min, 15 min, 30 min, then hourly).</summary>
    [Range(1, 20)]
    public int MaxAttempts { get; set; } = 8;

    /// <summary>How often a node looks for due deliveries when nothing woke it (deliveries of other nodes, retries).</summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "00:10:00")]
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The portal's public address (<c>https://transferhub.example</c>), so payload links are absolute; relative when unset.</summary>
    [Url]
    public string? PublicBaseUrl { get; set; }

    /// <summary>The backoff before try <paramref name="attempt"/> + 1.</summary>
    public static TimeSpan Backoff(int attempt) => attempt switch
    {
        <= 1 => TimeSpan.FromSeconds(10),
        2 => TimeSpan.FromSeconds(30),
        3 => TimeSpan.FromMinutes(1),
        4 => TimeSpan.FromMinutes(5),
        5 => TimeSpan.FromMinutes(15),
        6 => TimeSpan.FromMinutes(30),
        _ => TimeSpan.FromHours(1),
    };
}
