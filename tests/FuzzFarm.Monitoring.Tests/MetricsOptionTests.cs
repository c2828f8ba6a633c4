using System.Diagnostics;
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

    [Fact]
    public async Task AClusterSiloServesOrleansAndRuntimeMetricsOnTheGivenEndpoint()
    {
        var metricsPort = CampaignFixture.FreePort();
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[]
        {
            RepoPaths.FuzzfarmDll, "silo", "--db", database.ConnectionString,
            "--port", CampaignFixture.FreePort().ToString(CultureInfo.InvariantCulture),
            "--gateway", CampaignFixture.FreePort().ToString(CultureInfo.InvariantCulture),
            "--metrics-host", "localhost", "--metrics-port", metricsPort.ToString(CultureInfo.InvariantCulture),
        })
        {
            start.ArgumentList.Add(a);
        }
        using var silo = Process.Start(start)!;
        _ = silo.StandardOutput.ReadToEndAsync();
        var errors = silo.StandardError.ReadToEndAsync();
        try
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
            var text = await ScrapeAsync(http, new Uri($"http://localhost:{metricsPort}/metrics"), silo);
            Assert.Contains("target_info{", text, StringComparison.Ordinal);
            Assert.Contains("service_name=\"fuzzfarm\"", text, StringComparison.Ordinal);
            Assert.Contains("orleans_", text, StringComparison.Ordinal);
            Assert.Contains("dotnet_gc_collections_total", text, StringComparison.Ordinal);
        }
        finally
        {
            silo.Kill(entireProcessTree: true);
            await silo.WaitForExitAsync();
        }
        Assert.DoesNotContain("warning: metrics endpoint", await errors, StringComparison.Ordinal);
    }

    /// <summary>Polls until the endpoint answers with Orleans' metrics (the silo has started); a minute at most.</summary>
    private static async Task<string> ScrapeAsync(HttpClient http, Uri url, Process silo)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            Assert.False(silo.HasExited, $"the silo exited ({(silo.HasExited ? silo.ExitCode : 0)}) before serving metrics");
            try
            {
                var text = await http.GetStringAsync(url);
                if (text.Contains("orleans_", StringComparison.Ordinal))
                {
                    return text;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            Assert.True(clock.Elapsed < TimeSpan.FromMinutes(1), $"{url} did not serve Orleans metrics within a minute");
            await Task.Delay(500);
        }
    }
}
