using System.Net;
using System.Net.Sockets;

namespace TransferHub.Tests.E2E;

/// <summary>
/// A TCP load balancer without affinity, as a Kubernetes Service is: each new connection goes to the next backend in
/// turn. Lets a test check that a client spread over several web nodes still works.
/// </summary>
public sealed class RoundRobinProxy : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly Uri[] _backends;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;
    private int _next;

    public RoundRobinProxy(params string[] backends)
    {
        _backends = [.. backends.Select(b => new Uri(b))];
        Connections = new int[_backends.Length];
        _listener.Start();
        _accepting = AcceptAsync();
    }

    public string BaseUrl => $"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";

    /// <summary>Connections handed to each backend so far, in backend order.</summary>
    public int[] Connections { get; }

    private async Task AcceptAsync()
    {
        try
        {
            while (true)
            {
                var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                var index = Interlocked.Increment(ref _next) % _backends.Length;
                Interlocked.Increment(ref Connections[index]);
                _ = RelayAsync(client, _backends[index]);
            }
        }
        catch (OperationCanceledException)
        {
            // Disposed.
        }
    }

    private async Task RelayAsync(TcpClient client, Uri backend)
    {
        using (client)
        using (var server = new TcpClient())
        {
            try
            {
                await server.ConnectAsync(backend.Host, backend.Port, _stop.Token);
                var up = client.GetStream().CopyToAsync(server.GetStream(), _stop.Token);
                var down = server.GetStream().CopyToAsync(client.GetStream(), _stop.Token);
                await Task.WhenAny(up, down); // either side closing ends the pair
            }
            catch (Exception e) when (e is IOException or SocketException or OperationCanceledException)
            {
                // A backend gone (a killed node) or the proxy stopping: the client sees its connection close.
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _accepting;
        _stop.Dispose();
    }
}
