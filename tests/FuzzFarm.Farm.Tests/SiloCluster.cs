using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace FuzzFarm.Farm.Tests;

/// <summary>N <c>fuzzfarm silo</c> processes on loopback, clustered through one PostgreSQL database.</summary>
internal sealed class SiloCluster : IDisposable
{
    private const string UpLine = "silo up: ";
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);

    private SiloCluster(string connectionString, List<FarmProcess> silos, bool metrics = false)
    {
        ConnectionString = connectionString;
        Silos = silos;
        _metrics = metrics;
    }

    public string ConnectionString { get; }

    private readonly bool _metrics;
    private readonly Dictionary<FarmProcess, int> _metricsPorts = [];

    public List<FarmProcess> Silos { get; }

    /// <summary>Starts <paramref name="count"/> silos; with <paramref name="metrics"/>, each serves its own metrics port.</summary>
    public static async Task<SiloCluster> StartAsync(string connectionString, int count, bool metrics = false)
    {
        var cluster = new SiloCluster(connectionString, [], metrics);
        try
        {
            for (var i = 0; i < count; i++)
            {
                cluster.Silos.Add(cluster.StartSilo());
            }
            foreach (var silo in cluster.Silos)
            {
                await silo.WaitForLineAsync(l => l.StartsWith(UpLine, StringComparison.Ordinal), StartTimeout);
            }
            return cluster;
        }
        catch
        {
            cluster.Dispose();
            throw;
        }
    }

    /// <summary>One more silo joins the running cluster.</summary>
    public async Task<FarmProcess> AddSiloAsync()
    {
        var silo = StartSilo();
        Silos.Add(silo);
        await silo.WaitForLineAsync(l => l.StartsWith(UpLine, StringComparison.Ordinal), StartTimeout);
        return silo;
    }

    /// <summary>The silo's address as the farm names it (<c>host:port</c>), from its start line.</summary>
    public static string Endpoint(FarmProcess silo)
    {
        var up = silo.Lines.First(l => l.StartsWith(UpLine, StringComparison.Ordinal));
        return up[UpLine.Length..up.IndexOf(',', StringComparison.Ordinal)];
    }

    /// <summary>A client command against this cluster (campaign start/status/stop ...), to completion.</summary>
    public Task<FarmProcess> ClientAsync(params string[] args) =>
        FarmProcess.RunAsync(TimeSpan.FromSeconds(90), [.. args, "--db", ConnectionString]);

    /// <summary>
    /// Polls <c>campaign status</c> until <paramref name="holds"/> accepts its text, and returns that text; on timeout,
    /// fails with the silos' last output and the last status.
    /// </summary>
    public async Task<string> StatusWhenAsync(string campaign, Func<string, Task<bool>> holds, TimeSpan timeout)
    {
        var status = "";
        await Eventually.HoldsAsync(async () =>
        {
            status = (await ClientAsync("campaign", "status", campaign)).Stdout;
            return await holds(status);
        }, timeout, () => [.. AllLines, "last status:", status]);
        return status;
    }

    public Task<string> StatusWhenAsync(string campaign, Func<string, bool> holds, TimeSpan timeout) =>
        StatusWhenAsync(campaign, text => Task.FromResult(holds(text)), timeout);

    /// <summary>Every line any silo printed: the farm's log of reports found and stored.</summary>
    public IEnumerable<string> AllLines => Silos.SelectMany(s => s.Lines);

    /// <summary>Kills every silo, and keeps their output in the temp folder for whoever investigates a failure.</summary>
    public void Dispose()
    {
        var folder = Path.Combine(Path.GetTempPath(), "fuzzfarm-farm-tests");
        Directory.CreateDirectory(folder);
        for (var i = 0; i < Silos.Count; i++)
        {
            Silos[i].Dispose();
            File.WriteAllLines(Path.Combine(folder, $"{DateTime.UtcNow:HHmmss}-{Environment.ProcessId}-{GetHashCode():x8}-silo-{i}.log"), Silos[i].Lines);
        }
    }

    /// <summary>What the silo's Prometheus endpoint serves now (the cluster must have been started with metrics).</summary>
    public async Task<string> MetricsAsync(FarmProcess silo)
    {
        using var http = new HttpClient();
        return await http.GetStringAsync(new Uri($"http://127.0.0.1:{_metricsPorts[silo]}/metrics"));
    }

    private FarmProcess StartSilo()
    {
        string[] args = ["silo", "--db", ConnectionString,
            "--port", FreePort().ToString(CultureInfo.InvariantCulture), "--gateway", FreePort().ToString(CultureInfo.InvariantCulture)];
        if (!_metrics)
        {
            return FarmProcess.Start(args);
        }
        var port = FreePort();
        var silo = FarmProcess.Start([.. args, "--metrics-port", port.ToString(CultureInfo.InvariantCulture)]);
        _metricsPorts[silo] = port;
        return silo;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
