using MudBlazor.Utilities;
using TransferHub.Web.Components.Common;

namespace TransferHub.Tests.Unit.Web.Components;

public sealed class AppThemeTests
{
    // Secondary is the colour of captions and hints: in dark mode it must stay a quiet grey, not MudBlazor's pink.
    [Fact]
    public void DarkModesSecondaryTextIsAQuietGrey()
    {
        var secondary = new MudColor(AppTheme.Theme.PaletteDark.Secondary.ToString());

        secondary.S.ShouldBeLessThan(0.3);
        secondary.L.ShouldBeInRange(0.55, 0.85);
    }
}
