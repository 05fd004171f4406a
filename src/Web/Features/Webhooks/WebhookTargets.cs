using System.Net;
using System.Net.Sockets;
using TransferHub.Web.Infrastructure;

namespace TransferHub.Web.Features.Webhooks;

/// <summary>
/// Server-side request forgery guard: a webhook may only reach public addresses — not loopback, private networks,
/// link-local (cloud metadata at 169.254.169.254), carrier-grade NAT, multicast or reserved ranges — unless an admin
/// set <c>Webhooks:AllowPrivateTargets</c>. Checked when a webhook is saved and again at every connection, on the
/// address actually dialled (a name that later resolves elsewhere, or a redirect, gets nowhere).
/// </summary>
public static class WebhookTargets
{
    public const int MaxUrlLength = 2000;

    /// <summary>The URL a person typed, checked; throws a 400 naming what is wrong.</summary>
    public static async Task<Uri> ValidateAsync(string? url, bool allowPrivate, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(url) || url.Length > MaxUrlLength
            || !Uri.TryCreate(url.Trim(), UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp))
        {
            throw ValidationFailedException.For("url", $"An absolute http(s) URL of at most {MaxUrlLength} characters.");
        }
        if (uri.UserInfo.Length > 0)
        {
            throw ValidationFailedException.For("url", "No user name or password in the URL: the payload is signed with the webhook's secret.");
        }
        if (allowPrivate)
        {
            return uri;
        }
        IPAddress[] addresses;
        try
        {
            addresses = IPAddress.TryParse(uri.IdnHost, out var literal) ? [literal] : await Dns.GetHostAddressesAsync(uri.IdnHost, ct);
        }
        catch (SocketException e)
        {
            throw ValidationFailedException.For("url", $"{uri.Host} could not be resolved ({e.SocketErrorCode}).");
        }
        if (addresses.Length == 0 || !addresses.All(IsPublic))
        {
            // The resolved addresses are not repeated: the message must not map an internal network for its reader.
            throw ValidationFailedException.For("url",
                $"{uri.Host} is or resolves to a loopback, private or reserved address; webhooks reach public addresses only unless an admin sets Webhooks:AllowPrivateTargets.");
        }
        return uri;
    }

    /// <summary>True for an address on the public internet.</summary>
    public static bool IsPublic(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            var b = address.GetAddressBytes();
            return !(b[0] is 0 or 10 or 127 || b[0] >= 224 // this network, private, loopback, multicast and reserved
                || (b[0] == 100 && b[1] >= 64 && b[1] < 128) // carrier-grade NAT
                || (b[0] == 169 && b[1] == 254) // link-local, cloud metadata
                || (b[0] == 172 && b[1] >= 16 && b[1] < 32)
                || (b[0] == 192 && b[1] == 168)
                || (b[0] == 192 && b[1] == 0 && b[2] is 0 or 2) // IETF assignments, documentation
                || (b[0] == 198 && b[1] is 18 or 19) // benchmarking
                || (b[0] == 198 && b[1] == 51 && b[2] == 100) || (b[0] == 203 && b[1] == 0 && b[2] == 113));
        }
        if (address.AddressFamily == AddressFamily.InterNetworkV6)
        {
            var b = address.GetAddressBytes();
            return !(address.Equals(IPAddress.IPv6Loopback) || address.Equals(IPAddress.IPv6None)
                || address.IsIPv6LinkLocal || address.IsIPv6SiteLocal || address.IsIPv6Multicast
                || (b[0] & 0xfe) == 0xfc // unique local fc00::/7
                || (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0d && b[3] == 0xb8) // documentation
                || (b[0] == 0 && b[1] == 0x64 && b[2] == 0xff && b[3] == 0x9b) // NAT64 can reach IPv4 private ranges
                || b.Take(10).All(x => x == 0) // IPv4-compatible ::/96, SIIT ::ffff:0:0:0/96, and the rest of ::/80
                || (b[0] == 0x20 && b[1] == 0x02) // 6to4 embeds an IPv4 address
                || (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0 && b[3] == 0) // Teredo
                || (b[0] == 0x01 && b[1] == 0 && b[2] == 0 && b[3] == 0 && b[4] == 0 && b[5] == 0 && b[6] == 0 && b[7] == 0)); // discard 100::/64
        }
        return false;
    }

    /// <summary>The connection step of the webhook client: resolves, refuses non-public addresses, dials the rest.</summary>
    public static Func<SocketsHttpConnectionContext, CancellationToken, ValueTask<Stream>> Connect(Func<bool> allowPrivate) => async (context, ct) =>
    {
        var host = context.DnsEndPoint.Host;
        var addresses = IPAddress.TryParse(host, out var literal) ? [literal] : await Dns.GetHostAddressesAsync(host, ct);
        var allowed = allowPrivate() ? addresses : [.. addresses.Where(IsPublic)];
        if (allowed.Length == 0)
        {
            throw new WebhookTargetRefusedException($"{host} resolves only to loopback, private or reserved addresses: not dialled.");
        }
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(allowed, context.DnsEndPoint.Port, ct);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    };
}

/// <summary>A delivery's target resolved to an address webhooks may not reach.</summary>
public sealed class WebhookTargetRefusedException(string message) : Exception(message);
