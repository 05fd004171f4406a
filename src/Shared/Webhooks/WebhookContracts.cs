namespace TransferHub.Shared.Webhooks;

/// <summary>How a delivery's body is written: TransferHub's own signed JSON, or what Slack's and Microsoft Teams' incoming webhooks take.</summary>
public enum WebhookFormat
{
    /// <summary>Versioned JSON (<see cref="WebhookPayload"/>), signed.</summary>
    Json,
    /// <summary>A Slack incoming-webhook message (<c>{"text": …}</c>).</summary>
    Slack,
    /// <summary>A Microsoft Teams incoming-webhook message card.</summary>
    Teams,
}

/// <summary>Where a delivery stands.</summary>
public enum WebhookDeliveryStatus
{
    /// <summary>Waiting for its first or next try.</summary>
    Pending,
    /// <summary>The target answered 2xx.</summary>
    Delivered,
    /// <summary>Every try failed; "redeliver" sends it again.</summary>
    Failed,
}

/// <summary>The events a webhook can subscribe to.</summary>
public static class WebhookEvents
{
    /// <summary>An import into a dataset finished (or failed).</summary>
    public const string ImportFinished = "import.finished";
    /// <summary>A training run succeeded.</summary>
    public const string RunSucceeded = "run.succeeded";
    /// <summary>A training run failed for good (after its retries).</summary>
    public const string RunFailed = "run.failed";
    /// <summary>Every run of an experiment is over: its verdicts are ready.</summary>
    public const string ExperimentFinished = "experiment.finished";
    /// <summary>An arm trails the baseline while it still trains.</summary>
    public const string NegativeTransferWarning = "transfer.negative_warning";
    /// <summary>Someone asked for a model version to go to production.</summary>
    public const string ApprovalRequested = "approval.requested";
    /// <summary>An approver approved or rejected a production request.</summary>
    public const string ApprovalDecided = "approval.decided";
    /// <summary>A model version went to production.</summary>
    public const string ModelPromoted = "model.promoted";
    /// <summary>Production was rolled back to the former version.</summary>
    public const string ModelRolledBack = "model.rolled_back";
    /// <summary>Drift monitoring found a warning or drift.</summary>
    public const string Drift = "drift.detected";
    /// <summary>Sent only by "Send test ping".</summary>
    public const string Ping = "ping";

    /// <summary>Every event a subscription may name.</summary>
    public static readonly IReadOnlyList<string> All =
        [ImportFinished, RunSucceeded, RunFailed, ExperimentFinished, NegativeTransferWarning, ApprovalRequested, ApprovalDecided, ModelPromoted, ModelRolledBack, Drift];
}

/// <summary>A webhook: a URL that receives the chosen events of one project, or of every project (global, Admins only).</summary>
public sealed record WebhookDto(Guid Id, Guid? ProjectId, string Url, WebhookFormat Format, IReadOnlyList<string> Events, bool Enabled,
    DateTimeOffset CreatedAt, string CreatedBy, WebhookDeliveryDto? LastDelivery);

/// <summary>A new webhook. <c>Events</c> empty means every event.</summary>
public sealed record CreateWebhookRequest(string Url, IReadOnlyList<string>? Events, WebhookFormat Format = WebhookFormat.Json);

/// <summary>A webhook just created, with the signing secret shown this once.</summary>
public sealed record CreatedWebhookDto(WebhookDto Webhook, string Secret);

/// <summary>One event sent (or being sent) to one webhook, with the last try's outcome.</summary>
public sealed record WebhookDeliveryDto(Guid Id, Guid WebhookId, string Event, WebhookDeliveryStatus Status, int Attempts, int? LastStatusCode,
    string? LastError, double? LastDurationMs, DateTimeOffset CreatedAt, DateTimeOffset? DeliveredAt, DateTimeOffset? NextAttemptAt);

/// <summary>
/// The body of a JSON delivery (<c>specVersion</c> 1). Signed: header <c>X-TransferHub-Signature: t={unix seconds},v1={hex}</c>
/// where hex is HMAC-SHA256 with the webhook's secret over <c>"{t}.{body}"</c>; a receiver checks it and refuses a
/// <c>t</c> older than a few minutes (replay).
/// </summary>
public sealed record WebhookPayload(int SpecVersion, Guid EventId, string Event, DateTimeOffset OccurredAt, Guid? ProjectId, string Summary,
    string? Link, IReadOnlyDictionary<string, object?> Data);
