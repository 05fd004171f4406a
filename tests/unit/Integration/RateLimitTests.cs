using System.Net;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Hosting;
using TransferHub.Shared.Tokens;

namespace TransferHub.Tests.Unit.Integration;

public sealed class RateLimitedFactory : TransferHubFactory
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseSetting("RateLimits:SignInPerMinute", "3");
    }
}

/// <summary>Password guessing from one address meets a 429 with Retry-After, on the token route and the sign-in form alike.</summary>
public sealed class RateLimitTests(RateLimitedFactory factory) : IClassFixture<RateLimitedFactory>
{
    [Fact]
    public async Task GuessingPasswordsFromOneAddressIsSlowedDownWithRetryAfter()
    {
        var client = factory.CreateClient();
        var answers = new List<HttpResponseMessage>();
        for (var i = 0; i < 2; i++)
        {
            answers.Add(await client.PostAsJsonAsync("/api/auth/token", new PasswordTokenRequest($"nobody{i}@example.test", "Wrong-Passw0rd!", "guess", null)));
        }
        // The form (here without its antiforgery token) counts towards the same limit as the token route.
        var firstForm = await client.PostAsync("/Account/Login", new FormUrlEncodedContent([new("Input.Email", "a@b.test"), new("Input.Password", "x")]));

        var limited = await client.PostAsJsonAsync("/api/auth/token", new PasswordTokenRequest(TransferHubFactory.AdminEmail, TransferHubFactory.AdminPassword, "right", null));
        var form = await client.PostAsync("/Account/Login", new FormUrlEncodedContent([new("Input.Email", "a@b.test"), new("Input.Password", "x")]));

        answers.ShouldAllBe(a => a.StatusCode == HttpStatusCode.Unauthorized);
        firstForm.StatusCode.ShouldNotBe(HttpStatusCode.TooManyRequests);
        limited.StatusCode.ShouldBe(HttpStatusCode.TooManyRequests);
        int.Parse(limited.Headers.RetryAfter!.ToString(), System.Globalization.CultureInfo.InvariantCulture).ShouldBeInRange(1, 60);
        (await limited.Content.ReadAsStringAsync()).ShouldContain("try again in");
        form.StatusCode.ShouldBe(HttpStatusCode.TooManyRequests);
        // Other routes are not limited: the API still answers the token the tests seeded.
        (await factory.AdminClient().GetAsync("/api/projects")).StatusCode.ShouldBe(HttpStatusCode.OK);
    }
}
