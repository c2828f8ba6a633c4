using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using FuzzFarm.Storage;

namespace FuzzFarm.Testing;

/// <summary>
/// A throw-away PostgreSQL server of the test's own (deploy/local/postgres.sh with its own data folder and port), for
/// tests that stop and restart the server: an outage must not disturb other tests sharing the common server.
/// </summary>
public sealed class PrivatePostgresServer : IAsyncDisposable
{
    private readonly string _script;
    private readonly string _root;
    private readonly int _port;

    private PrivatePostgresServer(string script, string root, int port, string connectionString)
    {
        _script = script;
        _root = root;
        _port = port;
        ConnectionString = connectionString;
    }

    /// <summary>Connection string to the server's <c>fuzzfarm</c> database.</summary>
    public string ConnectionString { get; }

    public static async Task<PrivatePostgresServer> StartAsync()
    {
        var script = LocalPostgres.FindScript() ?? throw new InvalidOperationException("deploy/local/postgres.sh not found");
        var root = Path.Combine(Path.GetTempPath(), $"fuzzfarm-pg-{Guid.NewGuid():N}");
        Directory.CreateDirectory(root);
        var port = FreePort();
        var cs = await RunAsync(script, root, port, "start");
        return new PrivatePostgresServer(script, root, port, cs);
    }

    public Task StopAsync() => RunAsync(_script, _root, _port, "stop");

    public Task RestartAsync() => RunAsync(_script, _root, _port, "start");

    /// <summary><c>postgres.sh start</c> for this server's data folder, asking for another port than the one it runs on.</summary>
    public Task<string> StartAskingForAnotherPortAsync() => RunAsync(_script, _root, FreePort(), "start");

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        Directory.Delete(_root, recursive: true);
    }

    private static async Task<string> RunAsync(string script, string root, int port, string verb)
    {
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(script);
        start.ArgumentList.Add(verb);
        start.Environment["FUZZFARM_PGDATA"] = Path.Combine(root, "pgdata");
        start.Environment["FUZZFARM_PG_PORT"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"postgres.sh {verb} failed (exit {process.ExitCode}): {await stderr}");
        }
        return (await stdout).Trim();
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
