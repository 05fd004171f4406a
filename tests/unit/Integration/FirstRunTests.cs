using Microsoft.Extensions.DependencyInjection;
using System.Net;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Mvc.Testing;

namespace TransferHub.Tests.Unit.Integration;

public sealed partial class FirstRunTests(EmptyTransferHubFactory factory) : IClassFixture<EmptyTransferHubFactory>
{
    [Fact]
    public async Task EmptyDatabaseSendsPagesToSetupThenSetupCreatesOneAdminOnly()
    {
        var browser = factory.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true });

        var home = await browser.GetAsync("/");
        home.StatusCode.ShouldBe(HttpStatusCode.Redirect);
        PathOf(home.Headers.Location!).ShouldBe("/Account/Setup");
        (await browser.GetAsync("/health")).StatusCode.ShouldBe(HttpStatusCode.OK);

        var created = await PostSetupAsync(browser, "first@example.test");
        created.StatusCode.ShouldBe(HttpStatusCode.Redirect);
        PathOf(created.Headers.Location!).ShouldBe("/");
        var signedIn = await browser.GetAsync("/projects");
        signedIn.StatusCode.ShouldBe(HttpStatusCode.OK);

        // A second visitor finds setup closed: no second admin can be made this way.
        var other = factory.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true });
        var setupAgain = await other.GetAsync("/Account/Setup");
        setupAgain.StatusCode.ShouldBe(HttpStatusCode.Redirect);
        PathOf(setupAgain.Headers.Location!).ShouldBe("/Account/Login");
        await using var scope = factory.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<TransferHub.Web.Data.AppDbContext>();
        db.Users.Select(u => u.Email).ToList().ShouldBe(["first@example.test"]);
    }

    [Fact]
    public async Task FormPostWithoutAntiforgeryTokenIsRejected()
    {
        var client = factory.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        var form = new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["_handler"] = "login", ["Input.Email"] = "a@example.test", ["Input.Password"] = "whatever-123",
        });

        var response = await client.PostAsync("/Account/Login", form);

        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
    }

    private static string PathOf(Uri location) => location.IsAbsoluteUri ? location.AbsolutePath : location.OriginalString.Split('?')[0];

    internal static async Task<HttpResponseMessage> PostSetupAsync(HttpClient browser, string email)
    {
        var page = await browser.GetStringAsync("/Account/Setup");
        var token = AntiforgeryField().Match(page).Groups[1].Value;
        token.ShouldNotBeEmpty();
        return await browser.PostAsync("/Account/Setup", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["_handler"] = "setup",
            ["__RequestVerificationToken"] = token,
            ["Input.DisplayName"] = "First Admin",
            ["Input.Email"] = email,
            ["Input.Password"] = "First-Passw0rd",
            ["Input.Confirm"] = "First-Passw0rd",
        }));
    }

    [GeneratedRegex("name=\"__RequestVerificationToken\" value=\"([^\"]+)\"")]
    private static partial Regex AntiforgeryField();
}
