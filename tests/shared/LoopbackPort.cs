using System.Net;
using System.Net.Sockets;

namespace TransferHub.Tests.Support;

/// <summary>A loopback port free at the time of asking, for the servers the tests start (PostgreSQL, Azurite, the app).</summary>
public static class LoopbackPort
{
    public static int Free()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
