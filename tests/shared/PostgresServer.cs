using System.Diagnostics;

namespace TransferHub.Tests.Support;

/// <summary>
/// A throwaway PostgreSQL server (Debian's <c>postgresql</c>, installed by test.sh): its own data folder under the temp
/// folder, a free loopback port, password authentication over TCP; stopped and deleted on dispose. As root it runs as
/// the <c>postgres</c> system user (the server refuses root). <see cref="Shared"/> is one server per test process,
/// each test taking a fresh database from it.
/// </summary>
public sealed class PostgresServer : IAsyncDisposable
{
    private const string User = "transferhub";
    private readonly string _bin;
    private readonly string _folder;
    private readonly string _password = Convert.ToHexString(Guid.NewGuid().ToByteArray());
    private readonly bool _durable;
    private readonly string _extra;
    private static readonly Lazy<Task<PostgresServer>> SharedServer = new(async () =>
    {
        var server = await StartAsync(durable: false);
        AppDomain.CurrentDomain.ProcessExit += (_, _) => server.DisposeAsync().AsTask().GetAwaiter().GetResult();
        return server;
    });

    private PostgresServer(string bin, string folder, int port, bool durable, string extra) =>
        (_bin, _folder, Port, _durable, _extra) = (bin, folder, port, durable, extra);

    public int Port { get; }

    /// <summary>The server this test process shares; started on first use, stopped when the process exits.</summary>
    public static Task<PostgresServer> Shared => SharedServer.Value;

    /// <summary>True when the tests were asked to run on PostgreSQL (<c>TH_TEST_DATABASE=PostgreSql</c>, set by test.sh's second pass).</summary>
    public static bool Requested =>
        string.Equals(Environment.GetEnvironmentVariable("TH_TEST_DATABASE"), "PostgreSql", StringComparison.OrdinalIgnoreCase);

    public string ConnectionString(string database) =>
        $"Host=127.0.0.1;Port={Port};Database={database};Username={User};Password={_password};Pooling=true;Maximum Pool Size=50";

    /// <param name="durable">Off for tests (no fsync: a test database need not survive a power cut); on for benchmarks.</param>
    /// <param name="settings">More server settings (<c>-c log_min_duration_statement=100</c>: a benchmark's slow statements in <see cref="LogFile"/>).</param>
    public static async Task<PostgresServer> StartAsync(bool durable = false, string settings = "")
    {
        var bin = FindBinaries();
        var folder = Path.Combine(Path.GetTempPath(), $"th-pg-{Guid.NewGuid():N}");
        if (OperatingSystem.IsWindows())
        {
            throw new PlatformNotSupportedException("The test PostgreSQL server runs on Linux (Debian's postgresql).");
        }
        Directory.CreateDirectory(folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute); // the password file is in it
        var server = new PostgresServer(bin, folder, LoopbackPort.Free(), durable, settings);
        try
        {
            await File.WriteAllTextAsync(Path.Combine(folder, "password"), server._password);
            if (Environment.IsPrivilegedProcess)
            {
                await RunAsync("chown", ["-R", "postgres:postgres", folder]);
            }
            await server.PgAsync("initdb", ["-D", server.DataFolder, "-U", User, "--pwfile", Path.Combine(folder, "password"),
                "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"]);
            await server.StartServerAsync();
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    private string DataFolder => Path.Combine(_folder, "data");

    /// <summary>The server's log (errors, and slow statements when asked for); gone after dispose.</summary>
    public string LogFile => Path.Combine(_folder, "server.log");

    /// <summary>Starts the server (again, after <see cref="StopAsync"/>) on the same port and data.</summary>
    public Task StartServerAsync()
    {
        var settings = $"-c listen_addresses=127.0.0.1 -p {Port} -c unix_socket_directories={_folder} -c max_connections=400"
            // Without fsync a commit still reaches the OS before it returns: a killed server loses nothing, a power cut would.
            + (_durable ? "" : " -c fsync=off -c full_page_writes=off") + (_extra.Length == 0 ? "" : " " + _extra);
        return PgAsync("pg_ctl", ["-D", DataFolder, "-l", LogFile, "-o", settings, "-w", "-t", "60", "start"]);
    }

    /// <summary>Stops the server at once (connections dropped), as a crash or a failover would look to the app.</summary>
    public Task StopAsync() => PgAsync("pg_ctl", ["-D", DataFolder, "-m", "immediate", "-w", "stop"]);

    /// <summary>Creates an empty database owned by the test user and returns its connection string.</summary>
    public async Task<string> CreateDatabaseAsync(string? name = null)
    {
        name ??= $"th_{Guid.NewGuid():N}";
        await PgAsync("createdb", ["-h", _folder, "-p", $"{Port}", "-U", User, name]);
        return ConnectionString(name);
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (File.Exists(Path.Combine(DataFolder, "postmaster.pid")))
            {
                await StopAsync();
            }
        }
        finally
        {
            try
            {
                Directory.Delete(_folder, recursive: true);
            }
            catch (IOException)
            {
                // Left in the temp folder; not worth failing a test run over.
            }
        }
    }

    private static string FindBinaries()
    {
        var root = "/usr/lib/postgresql";
        var bin = Directory.Exists(root)
            ? Directory.GetDirectories(root).Select(d => Path.Combine(d, "bin"))
                .Where(d => File.Exists(Path.Combine(d, "initdb")))
                .OrderByDescending(d => int.TryParse(Path.GetFileName(Path.GetDirectoryName(d)), out var v) ? v : 0).FirstOrDefault()
            : null;
        return bin ?? throw new InvalidOperationException("PostgreSQL is not installed (/usr/lib/postgresql/*/bin/initdb). test.sh installs Debian's postgresql.");
    }

    private Task PgAsync(string tool, IEnumerable<string> args) =>
        Environment.IsPrivilegedProcess
            ? RunAsync("runuser", ["-u", "postgres", "--", Path.Combine(_bin, tool), .. args])
            : RunAsync(Path.Combine(_bin, tool), args);

    private static async Task RunAsync(string file, IEnumerable<string> args)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Path.GetTempPath() };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{file} did not start.");
        // pg_ctl -l sends the server's output to its log file, so these pipes close when the tool exits.
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        try
        {
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(2));
        }
        catch (TimeoutException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }
        await Task.WhenAll(output, error).WaitAsync(TimeSpan.FromSeconds(10));
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', start.ArgumentList)} exited with {process.ExitCode}: {error.Result}{output.Result}");
        }
    }
}
