using FuzzFarm.Storage;
using FuzzFarm.Testing;
using Xunit;

namespace FuzzFarm.Storage.Tests;

public sealed class CorpusAndStatsTests(PostgresFixture postgres) : IClassFixture<PostgresFixture>
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 25, 12, 0, 0, TimeSpan.Zero);
    private static readonly SampleOrigin Origin = new(Guid.Parse("00000000-0000-0000-0000-000000000001"), 0, 0);

    private async Task<FarmDatabase> OpenWithCampaignAsync(string campaign)
    {
        var db = await postgres.OpenFarmDatabaseAsync();
        await db.Campaigns.UpsertAsync(new CampaignRecord(campaign, "v5.7", 2, 7, "running", T0), CancellationToken.None);
        return db;
    }

    [Fact]
    public async Task Corpus_entries_are_idempotent_by_hash_and_load_in_the_order_found()
    {
        await using var db = await OpenWithCampaignAsync("corpus");

        var added = await db.Corpus.AddAsync("corpus", [("h1", "p1\n", 10, null), ("h2", "p2\n", 20, null), ("h1", "p1 again\n", 99, null)], CancellationToken.None);
        var addedAgain = await db.Corpus.AddAsync("corpus", [("h2", "p2\n", 20, null), ("h3", "p3\n", 30, null)], CancellationToken.None);
        var nothing = await db.Corpus.AddAsync("corpus", [], CancellationToken.None);

        Assert.Equal(2, added);
        Assert.Equal(1, addedAgain);
        Assert.Equal(0, nothing);
        var rows = await db.Corpus.LoadAsync("corpus", CancellationToken.None);
        Assert.Equal([("h1", "p1\n", 10), ("h2", "p2\n", 20), ("h3", "p3\n", 30)], rows.Select(r => (r.Hash, r.Text, r.Features)));
        Assert.Equal(rows.Select(r => r.Id).Order(), rows.Select(r => r.Id));
        Assert.All(rows, r => Assert.Null(r.FeatureSet));
    }

    [Fact]
    public async Task A_program_s_feature_set_comes_back_whole_high_bits_included()
    {
        await using var db = await OpenWithCampaignAsync("corpus-features");
        uint[] features = [0, 7, 0x7FFF_FFFF, 0x8000_0000, 0xFFFF_FFFF];

        await db.Corpus.AddAsync("corpus-features", [("f1", "p1\n", 5, features), ("f2", "p2\n", 0, [])], CancellationToken.None);

        var rows = await db.Corpus.LoadAsync("corpus-features", CancellationToken.None);
        Assert.Equal(features, rows[0].FeatureSet);
        Assert.Equal([], rows[1].FeatureSet!);
    }

    [Fact]
    public async Task Corpora_of_different_campaigns_are_separate()
    {
        await using var db = await OpenWithCampaignAsync("corpus-a");
        await db.Campaigns.UpsertAsync(new CampaignRecord("corpus-b", "v5.7", 1, 1, "running", T0), CancellationToken.None);

        await db.Corpus.AddAsync("corpus-a", [("same", "a\n", 1, null)], CancellationToken.None);
        var addedToB = await db.Corpus.AddAsync("corpus-b", [("same", "b\n", 2, null)], CancellationToken.None);

        Assert.Equal(1, addedToB);
        Assert.Equal("a\n", Assert.Single(await db.Corpus.LoadAsync("corpus-a", CancellationToken.None)).Text);
        Assert.Equal("b\n", Assert.Single(await db.Corpus.LoadAsync("corpus-b", CancellationToken.None)).Text);
    }

    [Fact]
    public async Task A_resent_stat_sample_is_stored_once()
    {
        await using var db = await OpenWithCampaignAsync("stats");

        await db.Stats.AddSampleAsync("stats", "silo-1", 0, T0, 1000, 50, 7, 0, Origin, CancellationToken.None);
        await db.Stats.AddSampleAsync("stats", "silo-1", 0, T0, 1000, 50, 7, 0, Origin, CancellationToken.None);
        await db.Stats.AddSampleAsync("stats", "silo-2", 1, T0, 900, 40, 6, 1, Origin, CancellationToken.None);
        await db.Stats.AddSampleAsync("stats", "silo-1", 0, T0.AddSeconds(5), 2500, 61, 9, 1, Origin, CancellationToken.None);

        var samples = await db.Stats.ListAsync("stats", CancellationToken.None);
        Assert.Equal(
            [
                new StatSample("stats", "silo-1", 0, T0, 1000, 50, 7, 0),
                new StatSample("stats", "silo-2", 1, T0, 900, 40, 6, 1),
                new StatSample("stats", "silo-1", 0, T0.AddSeconds(5), 2500, 61, 9, 1),
            ],
            samples);
    }

    [Fact]
    public async Task The_latest_sample_of_each_machine_comes_back_with_its_incarnation_and_banked_part()
    {
        await using var db = await OpenWithCampaignAsync("latest");
        var first = new SampleOrigin(Guid.Parse("00000000-0000-0000-0000-00000000000a"), 0, 0);
        var second = new SampleOrigin(Guid.Parse("00000000-0000-0000-0000-00000000000b"), 1000, 2);

        await db.Stats.AddSampleAsync("latest", "silo-1", 0, T0, 1000, 50, 7, 2, first, CancellationToken.None);
        await db.Stats.AddSampleAsync("latest", "silo-2", 0, T0.AddSeconds(10), 1300, 52, 7, 3, second, CancellationToken.None);
        await db.Stats.AddSampleAsync("latest", "silo-1", 1, T0.AddSeconds(5), 800, 40, 7, 0, first, CancellationToken.None);
        await db.Campaigns.UpsertAsync(new CampaignRecord("other", "v5.7", 3, 7, "running", T0), CancellationToken.None);
        await db.Stats.AddSampleAsync("other", "silo-1", 2, T0.AddSeconds(20), 1, 1, 1, 0, first, CancellationToken.None);

        var latest = await db.Stats.LatestPerMachineAsync("latest", CancellationToken.None);
        Assert.Equal([new LatestSample(0, 1300, 3, second), new LatestSample(1, 800, 0, first)], latest);
    }
}
