using System.Text.RegularExpressions;

namespace TransferHub.Tests.E2E;

public sealed class FirstRunTests(EmptyAppFixture app) : IClassFixture<EmptyAppFixture>
{
    [Fact]
    public async Task FirstVisitorCreatesTheAdminAndLandsSignedIn()
    {
        var page = await app.NewPageAsync();

        await page.GotoAsync("/");
        await Assertions.Expect(page).ToHaveURLAsync(new Regex("/Account/Setup$"));
        await page.ScreenshotAsync("01-first-run-setup");
        await page.GetByLabel("Your name").FillAsync("Ada Admin");
        await page.GetByLabel("E-mail").FillAsync("ada@e2e.test");
        await page.GetByLabel("Password (10 characters").FillAsync("First-Passw0rd");
        await page.GetByLabel("Repeat the password").FillAsync("Other-Passw0rd");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create admin and sign in" }).ClickAsync();
        await Assertions.Expect(page.GetByText("The passwords differ.")).ToBeVisibleAsync();

        await page.GetByLabel("Password (10 characters").FillAsync("First-Passw0rd");
        await page.GetByLabel("Repeat the password").FillAsync("First-Passw0rd");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create admin and sign in" }).ClickAsync();

        await Assertions.Expect(page).ToHaveURLAsync(new Regex("/$"));
        await page.WaitInteractiveAsync();
        await Assertions.Expect(page.GetByText("Welcome, Ada Admin")).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByText("No projects yet")).ToBeVisibleAsync();
        await page.ScreenshotAsync("02-home-empty");
        // Setup is closed now: a second visitor is sent to sign in.
        var other = await app.NewPageAsync();
        await other.GotoAsync("/Account/Setup");
        await Assertions.Expect(other).ToHaveURLAsync(new Regex("/Account/Login"));
    }
}
