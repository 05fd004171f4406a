using Microsoft.EntityFrameworkCore;
using TransferHub.Shared.Notifications;
using TransferHub.Web.Data;
using TransferHub.Web.Infrastructure;

namespace TransferHub.Web.Features.Notifications;

/// <summary>
/// Stores notifications and pushes each to the open pages of its recipient. The portal's bell
/// subscribes in-process: a Blazor Server circuit already rides on SignalR, so no extra hub is needed.
/// With Redis configured, the recipient's pages on the other web nodes hear it too.
/// </summary>
public sealed class NotificationService(IDbContextFactory<AppDbContext> dbFactory, TimeProvider clock, ILogger<NotificationService> logger)
{
    private readonly Subscribers<string, NotificationDto> _subscribers = new(logger);

    /// <summary>Set at start when the web runs on several nodes (<see cref="RedisEventRelay"/>).</summary>
    internal INotificationRelay? Relay { get; set; }

    public async Task<NotificationDto> PostAsync(string userId, string title, string? body, string? link, CancellationToken ct)
    {
        var notification = new Notification { UserId = userId, Title = title, Body = body, Link = link, CreatedAt = clock.GetUtcNow() };
        await using (var db = await dbFactory.CreateDbContextAsync(ct))
        {
            db.Notifications.Add(notification);
            await db.SaveChangesAsync(ct);
        }
        var dto = notification.ToDto();
        // One broken page must not stop the others, nor the caller that posted.
        await _subscribers.PublishAsync(userId, dto);
        if (Relay is { } relay)
        {
            await relay.PublishAsync(userId, dto);
        }
        return dto;
    }

    /// <summary>A notification posted on another node: to this node's pages of its recipient.</summary>
    internal Task PublishFromOtherNodeAsync(string userId, NotificationDto dto) => _subscribers.PublishAsync(userId, dto);

    public IDisposable Subscribe(string userId, Func<NotificationDto, Task> handler) => _subscribers.Subscribe(userId, handler);

    public async Task<IReadOnlyList<NotificationDto>> ListAsync(string userId, bool unreadOnly, int take, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var query = db.Notifications.Where(n => n.UserId == userId);
        if (unreadOnly)
        {
            query = query.Where(n => n.ReadAt == null);
        }
        var items = await query.OrderByDescending(n => n.CreatedAt).Take(Math.Clamp(take, 1, 200)).ToListAsync(ct);
        return [.. items.Select(n => n.ToDto())];
    }

    public async Task<int> CountUnreadAsync(string userId, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.Notifications.CountAsync(n => n.UserId == userId && n.ReadAt == null, ct);
    }

    /// <summary>Marks one notification (or, with null, all of them) read; returns how many changed.</summary>
    public async Task<int> MarkReadAsync(string userId, Guid? id, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var query = db.Notifications.Where(n => n.UserId == userId && n.ReadAt == null);
        if (id is not null)
        {
            query = query.Where(n => n.Id == id);
        }
        var now = clock.GetUtcNow();
        return await query.ExecuteUpdateAsync(s => s.SetProperty(n => n.ReadAt, now), ct);
    }
}

/// <summary>Carries notifications to the recipient's pages on the other web nodes.</summary>
internal interface INotificationRelay
{
    Task PublishAsync(string userId, NotificationDto notification);
}
