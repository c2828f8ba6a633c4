using System.Net;
using FuzzFarm.Silo.Farm;
using FuzzFarm.Silo.Hosting;
using Microsoft.Extensions.Hosting;

namespace FuzzFarm.Silo.Commands;

/// <summary>
/// One silo of a real cluster: membership through Orleans' ADO.NET clustering in the farm's PostgreSQL. Runs until
/// Ctrl-C or SIGTERM. The advertised address is loopback unless <c>--advertise</c> or <c>FUZZFARM_ADVERTISE_IP</c> says otherwise.
/// </summary>
public sealed class SiloCommand : ICliCommand
{
    private const string AdvertiseVariable = "FUZZFARM_ADVERTISE_IP";

    public string Name => "silo";

    public string Usage => "silo [--db CS] [--port N] [--gateway N] [--advertise IP] " + MetricsOptions.Usage;

    public async Task<int> RunAsync(CliArgs args, CancellationToken cancellation)
    {
        var db = args.Option("db");
        var port = Port(args, "port", 11111);
        var gateway = Port(args, "gateway", 30000);
        var advertiseText = args.Option("advertise") ?? Environment.GetEnvironmentVariable(AdvertiseVariable);
        var telemetry = MetricsOptions.Read(args);
        args.EnsureAllConsumed();
        if (args.Positionals.Count > 0)
        {
            throw new UsageException($"unexpected argument '{args.Positionals[0]}'");
        }
        var advertised = IPAddress.Loopback;
        if (!string.IsNullOrEmpty(advertiseText) && !IPAddress.TryParse(advertiseText, out advertised))
        {
            throw new UsageException($"--advertise expects an IP address, got '{advertiseText}'");
        }

        var (database, connectionString) = await FarmDatabaseOpener.OpenAsync(db, cancellation);
        await using (database)
        {
            using var meters = MetricsOptions.Start(telemetry);
            using var host = FarmHost.ClusterSilo(database, connectionString, new SiloEndpoints(advertised!, port, gateway));
            await host.StartAsync(cancellation);
            await Console.Out.WriteLineAsync($"silo up: {advertised}:{port}, gateway {gateway}, database {database.Description}");
            // Ctrl-C (our token) or SIGTERM (the host's console lifetime) both end here, after the silo left the cluster.
            await host.WaitForShutdownAsync(cancellation);
            return 0;
        }
    }

    private static int Port(CliArgs args, string name, int fallback)
    {
        var value = args.LongOption(name) ?? fallback;
        return value is >= 1 and <= 65535 ? (int)value : throw new UsageException($"--{name} must be a port number, got {value}");
    }
}
