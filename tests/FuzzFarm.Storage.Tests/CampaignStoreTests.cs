using FuzzFarm.Storage;
using FuzzFarm.Testing;
using Xunit;

namespace FuzzFarm.Storage.Tests;

public sealed class CampaignStoreTests(PostgresFixture postgres) : IClassFixture<PostgresFixture>
{
    // PostgreSQL keeps microseconds; a whole-second time round-trips exactly.
    private static readonly DateTimeOffset Created = new(2026, 11, 25, 10, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task A_campaign_round_trips_through_postgresql()
    {
        await using var db = await postgres.OpenFarmDatabaseAsync();
        var campaign = new CampaignRecord("round-trip", "v5.7", 4, 1234567890123, "running", Created);

        await db.Campaigns.UpsertAsync(campaign, CancellationToken.None);

        Assert.Equal(campaign, await db.Campaigns.GetAsync("round-trip", CancellationToken.None));
    }

    [Fact]
    public async Task Upsert_replaces_the_configuration_but_keeps_the_creation_time()
    {
        await using var db = await postgres.OpenFarmDatabaseAsync();
        await db.Campaigns.UpsertAsync(new CampaignRecord("resumed", "v5.7", 2, 1, "running", Created), CancellationToken.None);

        await db.Campaigns.UpsertAsync(new CampaignRecord("resumed", "v5.8", 8, 2, "stopped", Created.AddHours(1)), CancellationToken.None);

        Assert.Equal(new CampaignRecord("resumed", "v5.8", 8, 2, "stopped", Created), await db.Campaigns.GetAsync("resumed", CancellationToken.None));
    }

    [Fact]
    public async Task Status_changes_only_an_existing_campaign()
    {
        await using var db = await postgres.OpenFarmDatabaseAsync();
        await db.Campaigns.UpsertAsync(new CampaignRecord("status", "v5.7", 1, 1, "running", Created), CancellationToken.None);

        Assert.True(await db.Campaigns.SetStatusAsync("status", "finished", CancellationToken.None));
        Assert.False(await db.Campaigns.SetStatusAsync("no-such-campaign", "finished", CancellationToken.None));
        Assert.Equal("finished", (await db.Campaigns.GetAsync("status", CancellationToken.None))!.Status);
        Assert.Null(await db.Campaigns.GetAsync("no-such-campaign", CancellationToken.None));
    }

    [Fact]
    public async Task List_returns_campaigns_oldest_first()
    {
        await using var db = await postgres.OpenFarmDatabaseAsync();
        await db.Campaigns.UpsertAsync(new CampaignRecord("list-later", "v6.1", 1, 1, "running", Created.AddDays(2)), CancellationToken.None);
        await db.Campaigns.UpsertAsync(new CampaignRecord("list-earlier", "v6.1", 1, 1, "running", Created.AddDays(1)), CancellationToken.None);

        var names = (await db.Campaigns.ListAsync(CancellationToken.None)).Select(c => c.Name).Where(n => n.StartsWith("list-", StringComparison.Ordinal));

        Assert.Equal(["list-earlier", "list-later"], names);
    }
}
