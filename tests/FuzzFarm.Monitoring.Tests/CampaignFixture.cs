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

    /// <summary>
    /// The range a dashboard would show the campaign in: from the first successful scrape of the silo to the last scrape
    /// whose rate window ($__rate_interval back) holds only successful scrapes. Instant queries are evaluated at its
    /// end, as a stat panel is at "now": a scrape missed while the silo was busy must not leave that moment uncovered,
    /// and a moment after the last scrape would leave a rate a single sample.
    /// </summary>
    internal async Task<GrafanaRange> ScrapedRangeAsync()
    {
        var prometheus = Prometheus ?? throw new InvalidOperationException("Prometheus is not installed");
        var at = Finished.AddSeconds(5);
        var span = (int)Math.Ceiling((at - Started).TotalSeconds) + 60;
        // A range selector returns the raw samples, with their scrape times; a range query would return a step grid.
        var scrapes = (await prometheus.QueryAsync($"up{{job=\"fuzzfarm\"}}[{span}s]", at))
            .SelectMany(s => s!["values"]!.AsArray())
            .Select(v => (Time: (double)v![0]!, Up: (string?)v[1] == "1"))
            .OrderBy(v => v.Time).ToList();
        var successful = scrapes.Where(s => s.Up).Select(s => s.Time).ToList();
        if (successful.Count == 0)
        {
            throw new InvalidOperationException($"Prometheus never scraped the silo between {Started:O} and {Finished:O}; run output:\n{Output}");
        }
        var window = new GrafanaRange(Seconds(successful[0]), Seconds(successful[^1]), PrometheusInstance.ScrapeInterval).RateInterval.TotalSeconds;
        var covered = successful.Where(t => scrapes.All(s => s.Up || s.Time <= t - window || s.Time > t)).ToList();
        if (covered.Count == 0)
        {
            throw new InvalidOperationException($"no {window} s without a failed scrape; scrapes: {string.Join(", ", scrapes)}");
        }
        return new GrafanaRange(Seconds(successful[0]), Seconds(covered[^1]), PrometheusInstance.ScrapeInterval);

        static DateTimeOffset Seconds(double unix) => DateTimeOffset.FromUnixTimeMilliseconds((long)Math.Round(unix * 1000));
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
