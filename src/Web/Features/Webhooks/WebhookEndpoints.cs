using System.Security.Claims;
using TransferHub.Shared.Webhooks;

namespace TransferHub.Web.Features.Webhooks;

public static class WebhookEndpoints
{
    public static RouteGroupBuilder MapWebhookEndpoints(this RouteGroupBuilder api)
    {
        var project = api.MapGroup("/projects/{projectId:guid}/webhooks").WithTags("Webhooks");
        project.MapGet("/", (Guid projectId, ClaimsPrincipal user, WebhookService service, CancellationToken ct) => service.ListAsync(user, projectId, ct))
            .WithSummary("The project's webhooks with their last delivery (Owner).");
        project.MapPost("/", async (Guid projectId, CreateWebhookRequest request, ClaimsPrincipal user, WebhookService service, CancellationToken ct) =>
        {
            var created = await service.CreateAsync(user, projectId, request, ct);
            return Results.Created($"/api/webhooks/{created.Webhook.Id}/deliveries", created);
        }).WithSummary("Subscribes a URL to the project's events (Owner). The signing secret is in this answer only.");

        var global = api.MapGroup("/webhooks").WithTags("Webhooks");
        global.MapGet("/", (ClaimsPrincipal user, WebhookService service, CancellationToken ct) => service.ListAsync(user, null, ct))
            .WithSummary("Global webhooks: every project's events (Admin).");
        global.MapPost("/", async (CreateWebhookRequest request, ClaimsPrincipal user, WebhookService service, CancellationToken ct) =>
        {
            var created = await service.CreateAsync(user, null, request, ct);
            return Results.Created($"/api/webhooks/{created.Webhook.Id}/deliveries", created);
        }).WithSummary("Subscribes a URL to every project's events (Admin). The signing secret is in this answer only.");
        global.MapGet("/events", () => WebhookEvents.All).WithSummary("The event names a webhook can subscribe to.");
        global.MapDelete("/{webhookId:guid}", async (Guid webhookId, ClaimsPrincipal user, WebhookService service, CancellationToken ct) =>
        {
            await service.DeleteAsync(user, webhookId, ct);
            return Results.NoContent();
        }).WithSummary("Deletes a webhook and its delivery log.");
        global.MapPost("/{webhookId:guid}/ping", async (Guid webhookId, ClaimsPrincipal user, WebhookService service, CancellationToken ct) =>
            Results.Accepted(null, await service.PingAsync(user, webhookId, ct)))
            .WithSummary("Queues a signed test ping to the webhook; follow it in the delivery log.");
        global.MapGet("/{webhookId:guid}/deliveries", (Guid webhookId, int? take, ClaimsPrincipal user, WebhookService service, CancellationToken ct) =>
            service.DeliveriesAsync(user, webhookId, take ?? 50, ct))
            .WithSummary("The webhook's deliveries, newest first, with each one's last status code, error and time.");
        global.MapPost("/deliveries/{deliveryId:guid}/redeliver", async (Guid deliveryId, ClaimsPrincipal user, WebhookService service, CancellationToken ct) =>
            Results.Accepted(null, await service.RedeliverAsync(user, deliveryId, ct)))
            .WithSummary("Sends a delivery's event again (same event id, fresh signature) as a new delivery.");
        return api;
    }
}
