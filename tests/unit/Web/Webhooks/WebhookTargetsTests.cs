using System.Net;
using TransferHub.Web.Features.Webhooks;
using TransferHub.Web.Infrastructure;

namespace TransferHub.Tests.Unit.Web.Webhooks;

public sealed class WebhookTargetsTests
{
    [Theory]
    [InlineData("8.8.8.8", true)]
    [InlineData("172.32.0.1", true)]
    [InlineData("2606:4700:4700::1111", true)]
    [InlineData("127.0.0.1", false)]
    [InlineData("127.8.9.10", false)]
    [InlineData("10.1.2.3", false)]
    [InlineData("172.16.0.1", false)]
    [InlineData("172.31.255.255", false)]
    [InlineData("192.168.1.1", false)]
    [InlineData("169.254.169.254", false)]
    [InlineData("100.64.0.1", false)]
    [InlineData("0.0.0.0", false)]
    [InlineData("224.0.0.1", false)]
    [InlineData("255.255.255.255", false)]
    [InlineData("::1", false)]
    [InlineData("::", false)]
    [InlineData("fe80::1", false)]
    [InlineData("fd12:3456::1", false)]
    [InlineData("ff02::1", false)]
    [InlineData("::ffff:127.0.0.1", false)]
    [InlineData("::ffff:10.0.0.1", false)]
    [InlineData("64:ff9b::a00:1", false)]
    public void OnlyPublicAddressesArePublic(string address, bool expected) =>
        WebhookTargets.IsPublic(IPAddress.Parse(address)).ShouldBe(expected);

    [Theory]
    [InlineData("https://127.0.0.1/hook")]
    [InlineData("http://localhost:5000/hook")]
    [InlineData("http://0x7f000001/hook")] // 127.0.0.1 spelled as a number
    [InlineData("http://[::ffff:169.254.169.254]/latest")]
    public async Task APrivateTargetIsRefusedByDefaultAndAllowedWhenAnAdminSaysSo(string url)
    {
        var error = await Should.ThrowAsync<ValidationFailedException>(() => WebhookTargets.ValidateAsync(url, allowPrivate: false, CancellationToken.None));

        error.Errors["url"].Single().ShouldContain("Webhooks:AllowPrivateTargets");
        (await WebhookTargets.ValidateAsync(url, allowPrivate: true, CancellationToken.None)).IsAbsoluteUri.ShouldBeTrue();
    }

    [Theory]
    [InlineData("")]
    [InlineData("/relative/hook")]
    [InlineData("file:///etc/passwd")]
    [InlineData("gopher://example.com/")]
    [InlineData("https://me:pw@example.com/hook")]
    public async Task AMalformedOrForeignUrlIsRefused(string url) =>
        await Should.ThrowAsync<ValidationFailedException>(() => WebhookTargets.ValidateAsync(url, allowPrivate: true, CancellationToken.None));

    [Fact]
    public async Task AConnectionToALoopbackAddressIsRefusedAtDialTimeEvenIfTheUrlWasAcceptedBefore()
    {
        // A name checked at save time may resolve elsewhere later: the client checks the address it dials.
        using var client = new HttpClient(new SocketsHttpHandler { ConnectCallback = WebhookTargets.Connect(() => false) });

        var error = await Should.ThrowAsync<HttpRequestException>(() => client.GetAsync("http://localhost:9/"));

        error.InnerException.ShouldBeOfType<WebhookTargetRefusedException>().Message.ShouldContain("not dialled");
    }
}
