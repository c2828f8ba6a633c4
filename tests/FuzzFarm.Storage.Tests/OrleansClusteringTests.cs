using System.Net;
using FuzzFarm.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;
using Orleans;
using Orleans.Configuration;
using Orleans.Runtime;
using Orleans.Runtime.Membership;
using Orleans.Runtime.MembershipService;
using Xunit;

namespace FuzzFarm.Storage.Tests;

/// <summary>Orleans' own ADO.NET clustering provider (Invariant "Npgsql") against the tables and queries of migration 0003.</summary>
public sealed class OrleansClusteringTests(PostgresFixture postgres) : IClassFixture<PostgresFixture>, IAsyncLifetime
{
    private const string ClusterId = "fuzzfarm-test";
    private readonly ServiceProvider _services = new ServiceCollection().BuildServiceProvider();

    public async Task InitializeAsync()
    {
        // Migrations run here, as in a silo that opened the farm database before joining the cluster.
        await using var db = await postgres.OpenFarmDatabaseAsync();
    }

    public Task DisposeAsync() => _services.DisposeAsync().AsTask();

    private AdoNetClusteringTable Table(string clusterId = ClusterId) => new(
        _services,
        Options.Create(new ClusterOptions { ClusterId = clusterId, ServiceId = "fuzzfarm" }),
        Options.Create(new AdoNetClusteringSiloOptions { Invariant = "Npgsql", ConnectionString = postgres.ConnectionString }),
        NullLogger<AdoNetClusteringTable>.Instance);

    private static MembershipEntry Silo(int port, SiloStatus status, DateTime now) => new()
    {
        SiloAddress = SiloAddress.New(IPAddress.Loopback, port, 42),
        SiloName = $"silo-{port}",
        HostName = "localhost",
        Status = status,
        ProxyPort = port + 10000,
        StartTime = now,
        IAmAliveTime = now,
    };

    // The tables keep milliseconds.
    private static DateTime Now() => new(DateTime.UtcNow.Ticks / TimeSpan.TicksPerMillisecond * TimeSpan.TicksPerMillisecond, DateTimeKind.Utc);

    [Fact]
    public async Task Silos_join_update_and_heartbeat_with_optimistic_versions()
    {
        var table = Table("join-update");
        await table.InitializeMembershipTableAsync(true, CancellationToken.None);
        await table.InitializeMembershipTableAsync(true, CancellationToken.None);
        var empty = await table.ReadAllAsync(CancellationToken.None);
        Assert.Empty(empty.Members);

        var now = Now();
        var first = Silo(11111, SiloStatus.Joining, now);
        Assert.True(await table.InsertRowAsync(first, empty.Version.Next(), CancellationToken.None));
        // A second writer that read the same version loses.
        Assert.False(await table.InsertRowAsync(Silo(11112, SiloStatus.Joining, now), empty.Version.Next(), CancellationToken.None));

        var row = await table.ReadRowAsync(first.SiloAddress, CancellationToken.None);
        var (stored, etag) = Assert.Single(row.Members);
        Assert.Equal(first.SiloAddress, stored.SiloAddress);
        Assert.Equal("silo-11111", stored.SiloName);
        Assert.Equal(SiloStatus.Joining, stored.Status);
        Assert.Equal(21111, stored.ProxyPort);
        Assert.Equal(now, stored.StartTime);
        Assert.Equal(1, row.Version.Version);

        stored.Status = SiloStatus.Active;
        stored.AddOrUpdateSuspector(SiloAddress.New(IPAddress.Loopback, 11113, 7), now, maxVotes: 3);
        Assert.True(await table.UpdateRowAsync(stored, etag, row.Version.Next(), CancellationToken.None));
        Assert.False(await table.UpdateRowAsync(stored, etag, row.Version.Next(), CancellationToken.None));

        var later = now.AddSeconds(30);
        stored.IAmAliveTime = later;
        await table.UpdateIAmAliveAsync(stored, CancellationToken.None);

        var all = await table.ReadAllAsync(CancellationToken.None);
        var (active, _) = Assert.Single(all.Members);
        Assert.Equal(SiloStatus.Active, active.Status);
        Assert.Equal(later, active.IAmAliveTime);
        Assert.Single(active.SuspectTimes!);
        Assert.Equal(2, all.Version.Version);
    }

    [Fact]
    public async Task Gateways_are_the_active_silos_with_a_proxy_port()
    {
        var table = Table("gateways");
        await table.InitializeMembershipTableAsync(true, CancellationToken.None);
        var now = Now();
        await JoinAsync(table, Silo(12001, SiloStatus.Active, now));
        await JoinAsync(table, Silo(12002, SiloStatus.Joining, now));

        var gateways = new AdoNetGatewayListProvider(
            NullLogger<AdoNetGatewayListProvider>.Instance,
            _services,
            Options.Create(new AdoNetClusteringClientOptions { Invariant = "Npgsql", ConnectionString = postgres.ConnectionString }),
            Options.Create(new GatewayOptions()),
            Options.Create(new ClusterOptions { ClusterId = "gateways", ServiceId = "fuzzfarm" }));
        await gateways.InitializeGatewayListProviderAsync(CancellationToken.None);

        var uri = Assert.Single(await gateways.GetGatewaysAsync(CancellationToken.None));
        Assert.Equal(22001, uri.Port);
    }

    [Fact]
    public async Task Cleanup_removes_only_dead_silos_silent_since_the_cutoff_and_delete_clears_the_cluster()
    {
        var table = Table("cleanup");
        await table.InitializeMembershipTableAsync(true, CancellationToken.None);
        var now = Now();
        await JoinAsync(table, Silo(13001, SiloStatus.Dead, now.AddHours(-2)));
        await JoinAsync(table, Silo(13002, SiloStatus.Active, now.AddHours(-2)));
        await JoinAsync(table, Silo(13003, SiloStatus.Dead, now));

        await table.CleanupDefunctSiloEntriesAsync(new DateTimeOffset(now.AddHours(-1)), CancellationToken.None);

        var left = (await table.ReadAllAsync(CancellationToken.None)).Members.Select(m => m.Item1.SiloAddress.Endpoint.Port).Order();
        Assert.Equal([13002, 13003], left);

        await table.DeleteMembershipTableEntriesAsync("cleanup", CancellationToken.None);
        Assert.Equal(0, await CountRowsAsync("cleanup"));
    }

    // As a silo does: read the table's version, insert against it.
    private static async Task JoinAsync(AdoNetClusteringTable table, MembershipEntry entry)
    {
        var version = (await table.ReadAllAsync(CancellationToken.None)).Version;
        Assert.True(await table.InsertRowAsync(entry, version.Next(), CancellationToken.None));
    }

    private async Task<long> CountRowsAsync(string clusterId)
    {
        await using var source = NpgsqlDataSource.Create(postgres.ConnectionString);
        await using var command = source.CreateCommand(
            "SELECT (SELECT count(*) FROM OrleansMembershipTable WHERE DeploymentId = $1) + (SELECT count(*) FROM OrleansMembershipVersionTable WHERE DeploymentId = $1)");
        command.Parameters.Add(new NpgsqlParameter { Value = clusterId });
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
