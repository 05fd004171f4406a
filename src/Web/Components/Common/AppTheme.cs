using MudBlazor;

namespace TransferHub.Web.Components.Common;

public static class AppTheme
{
    public static readonly MudTheme Theme = new()
    {
        PaletteLight = new PaletteLight
        {
            Primary = "#3556c8",
            Secondary = "#5f6b7a",
            // Darker than MudBlazor's defaults so coloured text (chips, alerts, text buttons) reads at WCAG AA, 4.5:1.
            Tertiary = "#0b7a6b",
            Success = "#1e7b34",
            Warning = "#a15c00",
            Error = "#c62828",
            Info = "#1565c0",
            TextSecondary = "#5f6b7a",
            AppbarBackground = "#1e2a4a",
            DrawerBackground = "#f7f8fb",
            Background = "#fbfcfe",
        },
        PaletteDark = new PaletteDark
        {
            Primary = "#7d9bff",
            // MudBlazor's dark default is a hot pink, and secondary text is everywhere (captions, hints).
            Secondary = "#9aa6b8",
            Tertiary = "#3fd0b9",
            AppbarBackground = "#161b2e",
        },
        LayoutProperties = new LayoutProperties { DrawerWidthLeft = "232px" },
        Typography = new Typography
        {
            Default = new DefaultTypography { FontFamily = ["Inter", "Segoe UI", "Roboto", "Helvetica", "Arial", "sans-serif"] },
        },
    };
}
