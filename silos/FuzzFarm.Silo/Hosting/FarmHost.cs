using System.Net;
using System.Net.Sockets;
using FuzzFarm.Grains.Placement;
using FuzzFarm.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;
using Orleans.Hosting;

namespace FuzzFarm.Silo.Hosting;

/// <summary>
/// The one place where the farm's hosts are built: the embedded single-silo farm of <c>fuzzfarm run</c>, a cluster
/// silo of <c>fuzzfarm silo</c>, and the client of <c>fuzzfarm campaign</c>. Cross-cutting additions (a meter provider,
/// logging) go here so every host gets them.
/// </summary>
public static class FarmHost
{
    public const string ClusterId = "fuzzfarm";
    public const string ServiceId = "fuzzfarm";
    private const string AdoInvariant = "Npgsql";
    private static readonly TimeSpan IAmAlivePeriod = TimeSpan.FromSeconds(10);

    /// <summary>One silo in this process, localhost clustering on free ports (so it never meets a local cluster).</summary>
    public static IHost Embedded(FarmDatabase database)
    {
        var siloPort = FreeLoopbackPort();
        var gatewayPort = FreeLoopbackPort();
        // No keeper: a lone silo has no peer to take over from, and it must not adopt other campaigns left running in the store.
        return BuildSilo(database, quiet: true, keeper: false,
            silo => silo.UseLocalhostClustering(siloPort, gatewayPort, serviceId: ServiceId, clusterId: ClusterId));
    }

    /// <summary>
    /// A silo of a real cluster: membership in PostgreSQL through Orleans' ADO.NET clustering. Membership timing stays at
    /// Orleans' defaults: shorter probe timeouts declare busy-but-alive silos dead on a loaded machine (a fuzzing farm
    /// always is one), which costs far more than noticing a dead silo a few seconds later.
    /// </summary>
    public static IHost ClusterSilo(FarmDatabase database, string connectionString, SiloEndpoints endpoints) =>
        BuildSilo(database, quiet: false, keeper: true, silo => silo
            .UseAdoNetClustering(o =>
            {
                o.Invariant = AdoInvariant;
                o.ConnectionString = connectionString;
            })
            .Configure<ClusterOptions>(o =>
            {
                o.ClusterId = ClusterId;
                o.ServiceId = ServiceId;
            })
            .ConfigureEndpoints(endpoints.Advertised, endpoints.SiloPort, endpoints.GatewayPort, listenOnAnyHostAddress: true));

    /// <summary>A client of a cluster silo's gateway, found through the same membership table.</summary>
    public static IHost Client(string connectionString)
    {
        var builder = Host.CreateApplicationBuilder();
        ConfigureLogging(builder.Logging, quiet: true);
        // A command-line client reports failures itself, on one line.
        builder.Logging.SetMinimumLevel(LogLevel.Critical);
        builder.UseOrleansClient(client => client
            .UseAdoNetClustering(o =>
            {
                o.Invariant = AdoInvariant;
                o.ConnectionString = connectionString;
            })
            .Configure<ClusterOptions>(o =>
            {
                o.ClusterId = ClusterId;
                o.ServiceId = ServiceId;
            }));
        return builder.Build();
    }

    private static IHost BuildSilo(FarmDatabase database, bool quiet, bool keeper, Action<ISiloBuilder> clustering)
    {
        var builder = Host.CreateApplicationBuilder();
        ConfigureLogging(builder.Logging, quiet);
        builder.Services.AddSingleton(database);
        builder.UseOrleans(silo =>
        {
            clustering(silo);
            silo.AddPlacementDirector<SpreadByIndexPlacement, SpreadByIndexPlacementDirector>();
            silo.Configure<SiloMessagingOptions>(o => o.ResponseTimeout = TimeSpan.FromSeconds(15));
            // A silo starting after every silo crashed waits until the dead ones' heartbeats in the membership table
            // are two periods old: 10 s instead of Orleans' 30 s brings a whole-farm restart from ~110 s to ~30 s.
            silo.Configure<ClusterMembershipOptions>(o => o.IAmAliveTablePublishTimeout = IAmAlivePeriod);
        });
        if (keeper)
        {
            // Registered after the silo so it starts once the silo runs.
            builder.Services.AddHostedService<CampaignKeeper>();
        }
        return builder.Build();
    }

    /// <summary>Logs go to stderr (stdout carries command output). The embedded farm shows only errors: its status line says the rest.</summary>
    private static void ConfigureLogging(ILoggingBuilder logging, bool quiet)
    {
        logging.ClearProviders();
        logging.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "HH:mm:ss ";
        });
        logging.Services.Configure<Microsoft.Extensions.Logging.Console.ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        // Orleans, Polly and the host log a lot at Information; only the farm's own messages are worth that level.
        logging.SetMinimumLevel(quiet ? LogLevel.Error : LogLevel.Warning);
        logging.AddFilter("FuzzFarm", quiet ? LogLevel.Warning : LogLevel.Information);
    }

    private static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
