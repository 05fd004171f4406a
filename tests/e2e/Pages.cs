using System.Net.Http.Headers;
using System.Net.Http.Json;
using TransferHub.Shared.Identity;

namespace TransferHub.Tests.E2E;

/// <summary>Page-object steps shared by the tests; each waits on something the user would see, never on a timer.</summary>
public static class Pages
{
    public static string ScreenshotDir { get; } = Directory.CreateDirectory(Path.Combine(AppContext.BaseDirectory, "screenshots")).FullName;

    public static async Task SignInAsync(this IPage page, string email, string password)
    {
        await page.GotoAsync("/Account/Login");
        await page.GetByLabel("E-mail").FillAsync(email);
        await page.GetByLabel("Password").FillAsync(password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
    }

    /// <summary>Waits until the interactive circuit is live, so that clicks are handled.</summary>
    public static Task WaitInteractiveAsync(this IPage page) =>
        page.Locator("#app-interactive").WaitForAsync(new() { State = WaitForSelectorState.Attached });

    public static async Task GotoInteractiveAsync(this IPage page, string path)
    {
        await page.GotoAsync(path);
        await page.WaitInteractiveAsync();
    }

    public static async Task ScreenshotAsync(this IPage page, string name)
    {
        await page.EvaluateAsync("window.scrollTo(0, 0)"); // full-page shots stitch badly from a scrolled page
        // Transitions fast-forwarded: a button enabled a moment ago is shown in its colour, not halfway there.
        await page.ScreenshotAsync(new() { Path = Path.Combine(ScreenshotDir, name + ".png"), FullPage = true, Animations = ScreenshotAnimations.Disabled });
    }

    /// <summary>Creates an account through the REST API with the bootstrap admin token, as a script would.</summary>
    public static async Task CreateUserAsync(string baseUrl, string email, string password, params string[] roles)
    {
        using var http = E2EData.AdminClient(baseUrl);
        var response = await http.PostAsJsonAsync("/api/users", new CreateUserRequest(email, password, null, roles));
        response.EnsureSuccessStatusCode();
    }
}
