using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace FuzzFarm.Farm.Tests;

/// <summary>N <c>fuzzfarm silo</c> processes on loopback, clustered through one PostgreSQL database.</summary>
internal sealed class SiloCluster : IDisposable
{
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
        var silos = new List<FarmProcess>();
        var cluster = new SiloCluster(connectionString, silos);
        try
        {
            for (var i = 0; i < count; i++)
            {
                silos.Add(FarmProcess.Start("silo", "--db", connectionString,
                    "--port", FreePort().ToString(CultureInfo.InvariantCulture), "--gateway", FreePort().ToString(CultureInfo.InvariantCulture)));
            }
            foreach (var silo in silos)
            {
                await silo.WaitForLineAsync(l => l.StartsWith("silo up", StringComparison.Ordinal), StartTimeout);
            }
            return cluster;
        }
        catch
        {
            cluster.Dispose();
            throw;
        }
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

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
