using FuzzFarm.Grains;
using FuzzFarm.Grains.Contracts;
using FuzzFarm.Silo.Hosting;
using FuzzFarm.Storage;
using FuzzFarm.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Xunit;

namespace FuzzFarm.Farm.Tests;

/// <summary>
/// A real silo's corpus hub, sent programs by a real Orleans client: it keeps a program only for a coverage feature its
/// corpus lacks, and after the whole farm restarts it still knows, from the store, what its corpus covers, and hands
/// the machines only stored programs that reach a feature the others it hands out do not.
/// </summary>
[Collection(FarmCollection.Name)]
public sealed class CorpusHubTests(PostgresFixture postgres) : IClassFixture<PostgresFixture>
{
    private const string Campaign = "hub";
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(1);

    [Fact]
    public async Task The_hub_keeps_a_program_only_for_a_feature_it_lacks_and_knows_its_features_after_a_restart()
    {
        var cs = await postgres.CreateDatabaseAsync();
        await using var database = await FarmDatabase.OpenAsync(cs, CancellationToken.None);
        await database.Campaigns.UpsertAsync(new CampaignRecord(Campaign, "v5.7", 1, 1, "finished", DateTimeOffset.UtcNow), CancellationToken.None);

        using (var cluster = await SiloCluster.StartAsync(cs, 1))
        {
            using var client = FarmHost.Client(cs);
            await client.StartAsync();
            var hub = await LoadedHubAsync(client, cluster);
            // The third reaches nothing the first two do not; the last is the first again.
            Assert.Equal(2, await hub.PushAsync([Program(1, [1, 2, 3]), Program(2, [3, 4]), Program(3, [1, 4])]));
            Assert.Equal(0, await hub.PushAsync([Program(1, [1, 2, 3])]));
            // Each new when pushed; the second reaches all of the first's and of Program(2)'s that Program(1) does not.
            Assert.Equal(2, await hub.PushAsync([Program(6, [5]), Program(7, [4, 5, 6])]));
            var status = await hub.GetStatusAsync();
            Assert.Equal((4, 1), (status.CorpusSize, status.Redundant));
            await Eventually.HoldsAsync(async () => (await hub.GetStatusAsync()).PendingPersist == 0, Timeout, () => cluster.AllLines);
            await client.StopAsync();
            cluster.Silos[0].Kill();
        }
        Assert.Equal(4, (await database.Corpus.LoadAsync(Campaign, CancellationToken.None)).Count);

        using var again = await SiloCluster.StartAsync(cs, 1);
        using var next = FarmHost.Client(cs);
        await next.StartAsync();
        var resumed = await LoadedHubAsync(next, again);
        var loaded = await resumed.GetStatusAsync();
        // Program(1) and Program(7) reach features 1 to 6: Program(2) and Program(6) stay in the store only.
        Assert.Equal((2, 2), (loaded.Resumed, loaded.Pruned));
        Assert.Equal(4, (await database.Corpus.LoadAsync(Campaign, CancellationToken.None)).Count);
        Assert.Equal(0, await resumed.PushAsync([Program(4, [2, 4]), Program(2, [3, 4])]));
        Assert.Equal(1, await resumed.PushAsync([Program(5, [5, 7])]));
        Assert.Equal(3, (await resumed.GetStatusAsync()).CorpusSize);
        await next.StopAsync();
    }

    /// <summary>The campaign's hub once it has read the store (a push before that could not know what is stored).</summary>
    private static async Task<ICorpusHubGrain> LoadedHubAsync(IHost client, SiloCluster cluster)
    {
        var hub = client.Services.GetRequiredService<IClusterClient>().GetGrain<ICorpusHubGrain>(Campaign);
        await Eventually.HoldsAsync(async () => (await hub.GetStatusAsync()).Loaded, Timeout, () => cluster.AllLines);
        return hub;
    }

    private static CorpusProgram Program(int value, uint[] features) =>
        new($"a = mmap(4K, rw, private)\nstore(a, {value})\n", features.Length, features);
}
