using TransferHub.Registry.Features.Events;
using TransferHub.Web.Features.Notifications;
using TransferHub.Web.Features.Webhooks;

namespace TransferHub.Web.Features.Registry;

/// <summary>The registry's events delivered by the host: in-app notifications and the webhooks' outbox.</summary>
public sealed class RegistryEvents(NotificationService notifications, WebhookOutbox webhooks) : IRegistryEvents
{
    public async Task NotifyAsync(IEnumerable<string> userIds, string title, string body, string link, CancellationToken ct)
    {
        foreach (var userId in userIds)
        {
            await notifications.PostAsync(userId, title, body, link, ct);
        }
    }

    public Task PublishAsync(Guid projectId, string eventName, string summary, string link, IReadOnlyDictionary<string, object?> data, CancellationToken ct) =>
        webhooks.PublishAsync(projectId, eventName, summary, link, data, ct);
}
