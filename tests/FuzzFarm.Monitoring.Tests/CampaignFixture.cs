using System.Globalization;
using System.Net;
using System.Net.Sockets;
using FuzzFarm.Testing;
using Xunit;

namespace FuzzFarm.Monitoring.Tests;

/// <summary>
/// One real campaign for the whole collection: a <c>fuzzfarm run</c> process (the embedded farm) on v5.7 with its
/// metrics endpoint on a free port, writing to a fresh database, scraped by a private Prometheus when one is installed.
/// </summary>
public sealed class CampaignFixture : IAsyncLifetime
{
    public const string Profile = "v5.7";
    private readonly PostgresFixture _database = new();
    private readonly FuzzfarmProcess _run = new();

    public string Campaign { get; } = $"monitoring-{Guid.NewGuid():N}"[..24];

    public string ConnectionString => _database.ConnectionString;

    internal PrometheusInstance? Prometheus { get; private set; }

    public DateTimeOffset Started { get; private set; }

    public DateTimeOffset Finished { get; private set; }

    public string Output => _run.Output;

    public async Task InitializeAsync()
    {
        await _database.InitializeAsync();
        var metricsPort = FreePort();
        if (PrometheusInstance.Installed)
        {
            Prometheus = await PrometheusInstance.StartAsync(FreePort(), $"127.0.0.1:{metricsPort}");
        }
        Started = DateTimeOffset.UtcNow;
        var exit = await _run.RunAsync(
            "run", "--profile", Profile, "--minutes", "0.5", "--machines", "2", "--campaign", Campaign,
            "--db", ConnectionString, "--metrics-port", metricsPort.ToString(CultureInfo.InvariantCulture));
        Finished = DateTimeOffset.UtcNow;
        // 0: nothing found, 1: crash groups found and summarised; anything else is a failure of the run itself.
        if (exit is not (0 or 1))
        {
            throw new InvalidOperationException($"fuzzfarm run exited {exit}:\n{Output}");
        }
    }

    public async Task DisposeAsync()
    {
        if (Prometheus is not null)
        {
            await Prometheus.DisposeAsync();
        }
        await _database.DisposeAsync();
    }

    /// <summary>From the first to the last successful scrape of the silo: the range a dashboard would show the campaign in.</summary>
    internal async Task<GrafanaRange> ScrapedRangeAsync()
    {
        var prometheus = Prometheus ?? throw new InvalidOperationException("Prometheus is not installed");
        var series = await prometheus.QueryRangeAsync("up{job=\"fuzzfarm\"} == 1", Started.AddMinutes(-1), Finished.AddSeconds(5), TimeSpan.FromSeconds(1));
        var times = series.SelectMany(s => s!["values"]!.AsArray()).Select(v => (double)v![0]!).Order().ToList();
        if (times.Count == 0)
        {
            throw new InvalidOperationException($"Prometheus never scraped the silo between {Started:O} and {Finished:O}; run output:\n{Output}");
        }
        return new GrafanaRange(DateTimeOffset.FromUnixTimeMilliseconds((long)(times[0] * 1000)),
            DateTimeOffset.FromUnixTimeMilliseconds((long)(times[^1] * 1000)), PrometheusInstance.ScrapeInterval);
    }

    internal static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

[CollectionDefinition(Name)]
public sealed class CampaignCollection : ICollectionFixture<CampaignFixture>
{
    public const string Name = "campaign";
}
