using System.Diagnostics;
using System.Net.Sockets;

namespace TransferHub.Tests.E2E;

/// <summary>Debian's redis-server on a free loopback port, nothing persisted; killed on dispose.</summary>
public sealed class RedisProcess : IAsyncDisposable
{
    private readonly Process _process;

    private RedisProcess(Process process, int port) => (_process, Port) = (process, port);

    public int Port { get; }

    public string ConnectionString => $"127.0.0.1:{Port}";

    public static async Task<RedisProcess> StartAsync(int? port = null)
    {
        port ??= AppProcess.FreePort();
        var start = new ProcessStartInfo("redis-server") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { "--port", $"{port}", "--bind", "127.0.0.1", "--save", "", "--appendonly", "no" })
        {
            start.ArgumentList.Add(arg);
        }
        var redis = new RedisProcess(Process.Start(start) ?? throw new InvalidOperationException("redis-server did not start (test.sh installs it)."), port.Value);
        redis._process.OutputDataReceived += (_, _) => { };
        redis._process.BeginOutputReadLine();
        for (var i = 0; i < 100; i++)
        {
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync("127.0.0.1", port.Value);
                return redis;
            }
            catch (SocketException)
            {
                await Task.Delay(100); // bounded wait for the port to open
            }
        }
        throw new TimeoutException("redis-server did not listen.");
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
    }
}
