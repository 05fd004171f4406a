using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using TransferHub.Tests.Support;

namespace TransferHub.Tests.E2E;

public sealed class WebhooksE2ETests(SeededAppFixture app) : IClassFixture<SeededAppFixture>
{
    [Fact]
    public async Task AnOwnerAddsAWebhookSendsATestPingAndSeesItDeliveredSigned()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        using var http = E2EData.AdminClient(app.BaseUrl);
        var project = await (await http.PostAsJsonAsync("/api/projects", new { name = $"hooks {Guid.NewGuid():N}"[..14] })).Content.ReadFromJsonAsync<JsonElement>();
        var projectId = project.GetProperty("id").GetString();
        var page = await app.NewPageAsync();
        await page.SignInAsync(BrowserFixture.AdminEmail, BrowserFixture.AdminPassword);

        await page.GotoInteractiveAsync($"/projects/{projectId}");
        await page.Locator("#project-webhooks").ClickAsync();
        await Assertions.Expect(page.GetByText("No webhooks yet")).ToBeVisibleAsync();
        await page.GetByLabel("URL").FillAsync(receiver.Url);
        await page.Locator("#add-webhook").ClickAsync();
        var secret = (await page.Locator("#webhook-secret code").TextContentAsync())!.Trim();
        await page.Locator(".ping-webhook").First.ClickAsync();

        var deliveries = page.Locator("#deliveries-table tbody tr");
        await Assertions.Expect(deliveries.First).ToContainTextAsync("Delivered", new() { Timeout = 30_000 });
        await Assertions.Expect(deliveries.First).ToContainTextAsync("ping");
        await Assertions.Expect(deliveries.First).ToContainTextAsync("200");
        await page.ScreenshotAsync("60-webhooks");
        var got = (await receiver.WaitForAsync(1)).Single();
        secret.ShouldStartWith("whsec_");
        Signed(secret, got).ShouldBeTrue(got.Signature);
    }

    [Fact]
    public async Task ADeliveryStillPendingWhenTheServerIsKilledIsSentAfterItRestarts()
    {
        var port = AppProcess.FreePort(); // the receiver is down at first
        var settings = new Dictionary<string, string>
        {
            ["Bootstrap:AdminEmail"] = BrowserFixture.AdminEmail,
            ["Bootstrap:AdminPassword"] = BrowserFixture.AdminPassword,
            ["Bootstrap:AdminToken"] = BrowserFixture.AdminToken,
            ["Webhooks:AllowPrivateTargets"] = "true",
            ["Webhooks:PollInterval"] = "00:00:00.200",
        };
        await using var first = await AppProcess.StartAsync(settings);
        using var http = E2EData.AdminClient(first.BaseUrl);
        var created = await (await http.PostAsJsonAsync("/api/webhooks", new { url = $"http://127.0.0.1:{port}/hook" })).Content.ReadFromJsonAsync<JsonElement>();
        var hookId = created.GetProperty("webhook").GetProperty("id").GetString();
        var secret = created.GetProperty("secret").GetString()!;
        (await http.PostAsync($"/api/webhooks/{hookId}/ping", null)).EnsureSuccessStatusCode();
        var refused = await DeliveryAsync(http, hookId!, d => d.GetProperty("attempts").GetInt32() == 1);
        refused.GetProperty("status").GetString().ShouldBe("Pending");

        await first.KillAsync();
        await using var receiver = await WebhookReceiver.StartAsync(port);
        await using var second = await AppProcess.StartAsync(settings, first.DataRoot);
        var got = (await receiver.WaitForAsync(1, TimeSpan.FromSeconds(60))).Single(); // after the 10 s backoff

        using var httpB = E2EData.AdminClient(second.BaseUrl);
        var delivered = await DeliveryAsync(httpB, hookId!, d => d.GetProperty("status").GetString() == "Delivered");
        delivered.GetProperty("attempts").GetInt32().ShouldBe(2);
        refused.GetProperty("lastError").GetString().ShouldNotBeNullOrEmpty();
        Signed(secret, got).ShouldBeTrue();
    }

    private static async Task<JsonElement> DeliveryAsync(HttpClient http, string hookId, Func<JsonElement, bool> done)
    {
        for (var i = 0; i < 600; i++)
        {
            var all = await http.GetFromJsonAsync<JsonElement>($"/api/webhooks/{hookId}/deliveries");
            if (all.GetArrayLength() > 0 && done(all[0]))
            {
                return all[0];
            }
            await Task.Delay(100); // bounded poll of the delivery log
        }
        throw new TimeoutException("The delivery did not reach the expected state.");
    }

    /// <summary>What a receiver does with the header (as the README shows): HMAC-SHA256 over "{t}.{body}".</summary>
    private static bool Signed(string secret, WebhookReceiver.Received got)
    {
        var parts = got.Signature.Split(',').Select(p => p.Split('=', 2)).ToDictionary(p => p[0], p => p[1]);
        var mac = HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes($"{parts["t"]}.{got.Body}"));
        return Convert.ToHexStringLower(mac) == parts["v1"];
    }
}
