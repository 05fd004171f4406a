using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using TransferHub.Shared.Webhooks;
using TransferHub.Web.Data;

namespace TransferHub.Web.Features.Webhooks;

/// <summary>
/// Where features announce events: one delivery row per matching webhook (the project's and the global ones), written
/// before anything is sent; the dispatcher sends them. Announcing never fails the caller's work: an error is logged.
/// </summary>
public sealed partial class WebhookOutbox(IDbContextFactory<AppDbContext> dbFactory, TimeProvider clock, IOptions<WebhookOptions> options, ILogger<WebhookOutbox> logger)
{
    private readonly SemaphoreSlim _due = new(0, 1);

    /// <summary>Released when deliveries were written on this node; the dispatcher waits on it between polls.</summary>
    internal SemaphoreSlim Due => _due;

    public async Task PublishAsync(Guid? projectId, string @event, string summary, string? link, IReadOnlyDictionary<string, object?> data, CancellationToken ct)
    {
        try
        {
            await using var db = await dbFactory.CreateDbContextAsync(ct);
            var hooks = (await db.Webhooks().AsNoTracking().Where(w => w.Enabled && (w.ProjectId == null || w.ProjectId == projectId)).ToListAsync(ct))
                .Where(w => w.Wants(@event)).ToList();
            if (hooks.Count == 0)
            {
                return;
            }
            var payload = Payload(projectId, @event, summary, link, data);
            foreach (var hook in hooks)
            {
                db.WebhookDeliveries().Add(NewDelivery(hook.Id, @event, payload));
            }
            await db.SaveChangesAsync(ct);
            Wake();
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogPublishFailed(logger, e, @event, projectId);
        }
    }

    /// <summary>A test ping for one webhook; returns its delivery.</summary>
    internal async Task<WebhookDelivery> PingAsync(AppDbContext db, Webhook hook, string by, CancellationToken ct)
    {
        var delivery = NewDelivery(hook.Id, WebhookEvents.Ping,
            Payload(hook.ProjectId, WebhookEvents.Ping, $"Test ping from TransferHub, sent by {by}.", null, new Dictionary<string, object?> { ["webhookId"] = hook.Id }));
        db.WebhookDeliveries().Add(delivery);
        await db.SaveChangesAsync(ct);
        Wake();
        return delivery;
    }

    /// <summary>The same event (same event id and body) sent once more as a new delivery.</summary>
    internal async Task<WebhookDelivery> RedeliverAsync(AppDbContext db, WebhookDelivery original, CancellationToken ct)
    {
        var again = NewDelivery(original.WebhookId, original.Event, (original.EventId, original.Payload));
        db.WebhookDeliveries().Add(again);
        await db.SaveChangesAsync(ct);
        Wake();
        return again;
    }

    // One pending wake-up is enough: the dispatcher takes every due delivery when it runs.
    private void Wake()
    {
        try
        {
            _due.Release();
        }
        catch (SemaphoreFullException)
        {
            // already awake
        }
    }

    private WebhookDelivery NewDelivery(Guid webhookId, string @event, (Guid EventId, string Json) payload)
    {
        var now = clock.GetUtcNow();
        return new WebhookDelivery
        {
            WebhookId = webhookId, EventId = payload.EventId, Event = @event, Payload = payload.Json, Status = WebhookDeliveryStatus.Pending,
            NextAttemptAt = now, CreatedAt = now,
        };
    }

    private (Guid EventId, string Json) Payload(Guid? projectId, string @event, string summary, string? link, IReadOnlyDictionary<string, object?> data)
    {
        var id = Guid.CreateVersion7();
        // Appended, not resolved: a portal served under a path (https://host/th) keeps it.
        var absolute = link is not null && options.Value.PublicBaseUrl is { } root ? root.TrimEnd('/') + link : link;
        var json = JsonSerializer.Serialize(new WebhookPayload(1, id, @event, clock.GetUtcNow(), projectId, summary, absolute, data), WebhookBodies.Json);
        // A payload is small (ids, names, a summary); the column bounds it all the same.
        return (id, json.Length <= 64000 ? json
            : JsonSerializer.Serialize(new WebhookPayload(1, id, @event, clock.GetUtcNow(), projectId, summary[..Math.Min(summary.Length, 2000)], absolute,
                new Dictionary<string, object?> { ["truncated"] = true }), WebhookBodies.Json));
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "The {Event} event of project {ProjectId} could not be queued for webhooks")]
    private static partial void LogPublishFailed(ILogger logger, Exception e, string @event, Guid? projectId);
}
