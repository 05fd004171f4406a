using System.Security.Claims;
using Bunit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using TransferHub.Web.Components.Layout;
using TransferHub.Web.Features.Notifications;

namespace TransferHub.Tests.Unit.Web.Components;

public sealed class NotificationBellTests : MudComponentTest
{
    private readonly TestDatabase _db = new();
    private readonly NotificationService _notifications;

    public NotificationBellTests()
    {
        _notifications = new NotificationService(_db, TimeProvider.System, NullLogger<NotificationService>.Instance);
        Services.AddSingleton(_notifications);
        var auth = AddAuthorization();
        auth.SetAuthorized("alice@example.test");
        auth.SetClaims(new Claim(ClaimTypes.NameIdentifier, "alice"));
    }

    [Fact]
    public async Task ShowsUnreadCountAndUpdatesLiveWhenANotificationArrives()
    {
        await _notifications.PostAsync("alice", "Earlier", null, null, CancellationToken.None);
        Render<MudBlazor.MudPopoverProvider>();
        var bell = Render<NotificationBell>();
        bell.WaitForAssertion(() => bell.Find(".mud-badge").TextContent.Trim().ShouldBe("1"));

        await _notifications.PostAsync("alice", "Run finished", "baseline seed 1", "/experiments", CancellationToken.None);
        await _notifications.PostAsync("bob", "Not for alice", null, null, CancellationToken.None);

        bell.WaitForAssertion(() => bell.Find(".mud-badge").TextContent.Trim().ShouldBe("2"));
    }

    [Fact]
    public void HidesTheBadgeWhenNothingIsUnread()
    {
        Render<MudBlazor.MudPopoverProvider>();

        var bell = Render<NotificationBell>();

        bell.FindAll(".mud-badge.mud-badge-visible").ShouldBeEmpty();
    }

    [Fact]
    public async Task StopsListeningWhenDisposed()
    {
        Render<MudBlazor.MudPopoverProvider>();
        var bell = Render<NotificationBell>();

        bell.Instance.Dispose();
        await _notifications.PostAsync("alice", "After close", null, null, CancellationToken.None);

        bell.FindAll(".mud-badge.mud-badge-visible").ShouldBeEmpty();
    }

    protected override void OnDisposed() => _db.Dispose();
}
