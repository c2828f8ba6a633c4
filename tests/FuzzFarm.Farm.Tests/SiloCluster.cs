using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace FuzzFarm.Farm.Tests;

/// <summary>N <c>fuzzfarm silo</c> processes on loopback, clustered through one PostgreSQL database.</summary>
internal sealed class SiloCluster : IDisposable
{
    private const string UpLine = "silo up: ";
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);

    private SiloCluster(string connectionString, List<FarmProcess> silos)
    {
        ConnectionString = connectionString;
        Silos = silos;
    }

    public string ConnectionString { get; }

    public List<FarmProcess> Silos { get; }

    public static async Task<SiloCluster> StartAsync(string connectionString, int count)
    {
        var cluster = new SiloCluster(connectionString, []);
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

    private FarmProcess StartSilo() =>
        FarmProcess.Start("silo", "--db", ConnectionString,
            "--port", FreePort().ToString(CultureInfo.InvariantCulture), "--gateway", FreePort().ToString(CultureInfo.InvariantCulture));

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
