namespace TransferHub.Registry.Features.Events;

/// <summary>
/// What the registry tells people and integrations. The host delivers: in-app notifications (live on every node) and the
/// webhooks' outbox, each of which must not fail the registry's own change (it is already committed when these run).
/// </summary>
public interface IRegistryEvents
{
    /// <summary>Posts an in-app notification to each of the users.</summary>
    Task NotifyAsync(IEnumerable<string> userIds, string title, string body, string link, CancellationToken ct);

    /// <summary>Queues a webhook event (<c>Shared.Webhooks.WebhookEvents</c>) for the project's subscriptions.</summary>
    Task PublishAsync(Guid projectId, string eventName, string summary, string link, IReadOnlyDictionary<string, object?> data, CancellationToken ct);
}
