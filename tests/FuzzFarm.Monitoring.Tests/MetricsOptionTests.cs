using System.Globalization;
using System.Net;
using System.Net.Sockets;
using FuzzFarm.Testing;
using Xunit;

namespace FuzzFarm.Monitoring.Tests;

/// <summary>The silo commands' --metrics-host / --metrics-port: bad values are usage errors, a busy port depends on who chose it.</summary>
public sealed class MetricsOptionTests(PostgresFixture database) : IClassFixture<PostgresFixture>
{
    [Theory]
    [InlineData("run", "--profile", "v5.7", "--metrics-host", "0.0.0.0")]
    [InlineData("run", "--profile", "v5.7", "--metrics-host", "*")]
    [InlineData("silo", "--metrics-host", "::")]
    [InlineData("silo", "--metrics-port", "70000")]
    [InlineData("run", "--profile", "v5.7", "--metrics-port", "-1")]
    public async Task BadMetricsOptionsAreUsageErrors(params string[] args)
    {
        var run = new FuzzfarmProcess();
        var exit = await run.RunAsync(args);
        Assert.True(exit == 2, $"exit {exit}:\n{run.Output}");
        Assert.Contains("--metrics-", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnExplicitPortThatIsTakenIsAnError()
    {
        using var holder = new TcpListener(IPAddress.Loopback, 0);
        holder.Start();
        var port = ((IPEndPoint)holder.LocalEndpoint).Port.ToString(CultureInfo.InvariantCulture);
        var run = new FuzzfarmProcess();
        var exit = await run.RunAsync("run", "--profile", "v6.15", "--minutes", "0.05", "--machines", "1", "--campaign", "taken-port",
            "--db", database.ConnectionString, "--metrics-port", port);
        Assert.True(exit == 2, $"exit {exit}:\n{run.Output}");
        Assert.Contains($"metrics endpoint http://127.0.0.1:{port}/metrics cannot listen", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheDefaultPortGivesWayWithAWarning()
    {
        // Hold the default port unless something else already does: either way the run cannot have it.
        using var holder = new TcpListener(IPAddress.Loopback, 9464);
        try
        {
            holder.Start();
        }
        catch (SocketException)
        {
            // Taken by someone else, which serves the test as well.
        }
        var run = new FuzzfarmProcess();
        var exit = await run.RunAsync("run", "--profile", "v6.15", "--minutes", "0.05", "--machines", "1", "--campaign", "default-port",
            "--db", database.ConnectionString);
        Assert.True(exit is 0 or 1, $"exit {exit}:\n{run.Output}");
        Assert.Contains("warning: metrics endpoint http://127.0.0.1:9464/metrics cannot listen", run.Output, StringComparison.Ordinal);
        Assert.Contains("campaign default-port on v6.15", run.Output, StringComparison.Ordinal);
    }
}
