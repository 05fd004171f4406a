using System.Security.Claims;
using TransferHub.Web.Features.Identity;

namespace TransferHub.Web.Features.Notifications;

public static class NotificationEndpoints
{
    public static RouteGroupBuilder MapNotificationEndpoints(this RouteGroupBuilder api)
    {
        var group = api.MapGroup("/notifications").WithTags("Notifications");
        group.MapGet("/", (ClaimsPrincipal user, NotificationService service, bool? unread, int? take, CancellationToken ct) =>
            service.ListAsync(user.UserId(), unread ?? false, take ?? 50, ct))
            .WithSummary("The caller's notifications, newest first.");
        group.MapPost("/{notificationId:guid}/read", async (Guid notificationId, ClaimsPrincipal user, NotificationService service, CancellationToken ct) =>
            await service.MarkReadAsync(user.UserId(), notificationId, ct) > 0 ? Results.NoContent() : Results.NotFound())
            .WithSummary("Marks one notification read.");
        group.MapPost("/read-all", async (ClaimsPrincipal user, NotificationService service, CancellationToken ct) =>
            Results.Ok(new { marked = await service.MarkReadAsync(user.UserId(), null, ct) }))
            .WithSummary("Marks every notification read.");
        return api;
    }
}
