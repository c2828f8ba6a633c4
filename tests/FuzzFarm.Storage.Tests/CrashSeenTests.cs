using FuzzFarm.Storage;
using FuzzFarm.Testing;
using Xunit;

namespace FuzzFarm.Storage.Tests;

/// <summary>
/// Machines send running totals of the violations they have seen per signature; a group's Seen is the sum of the
/// largest total each machine incarnation sent, so a resend or a late, older total counts nothing twice.
/// </summary>
public sealed class CrashSeenTests(PostgresFixture postgres) : IClassFixture<PostgresFixture>
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 3, 12, 0, 0, TimeSpan.Zero);
    private static readonly Guid First = Guid.Parse("00000000-0000-0000-0000-000000000001");
    private static readonly Guid Second = Guid.Parse("00000000-0000-0000-0000-000000000002");

    private async Task<FarmDatabase> OpenWithGroupAsync(string campaign, string signature)
    {
        var db = await postgres.OpenFarmDatabaseAsync();
        await db.Campaigns.UpsertAsync(new CampaignRecord(campaign, "v5.7", 2, 7, "running", T0), CancellationToken.None);
        await db.Crashes.RecordAsync(new CrashReport($"{campaign}-r1", campaign, signature, "lost-write", "v5.7", 0, "# p\n", T0), CancellationToken.None);
        return db;
    }

    private static async Task<CrashGroup> GroupAsync(FarmDatabase db, string campaign, string signature) =>
        (await db.Crashes.ListGroupsAsync(campaign, CancellationToken.None)).Single(g => g.Signature == signature);

    [Fact]
    public async Task A_resent_or_older_total_counts_once_and_incarnations_and_machines_add_up()
    {
        await using var db = await OpenWithGroupAsync("seen", "sig-a");

        await db.Crashes.RecordSeenAsync("seen", 0, First, [new SeenCount("sig-a", 40)], CancellationToken.None);
        await db.Crashes.RecordSeenAsync("seen", 0, First, [new SeenCount("sig-a", 40)], CancellationToken.None);
        await db.Crashes.RecordSeenAsync("seen", 0, First, [new SeenCount("sig-a", 25)], CancellationToken.None);
        Assert.Equal(40, (await GroupAsync(db, "seen", "sig-a")).Seen);

        await db.Crashes.RecordSeenAsync("seen", 0, First, [new SeenCount("sig-a", 55)], CancellationToken.None);
        await db.Crashes.RecordSeenAsync("seen", 0, Second, [new SeenCount("sig-a", 7)], CancellationToken.None);
        await db.Crashes.RecordSeenAsync("seen", 1, First, [new SeenCount("sig-a", 3)], CancellationToken.None);

        var group = await GroupAsync(db, "seen", "sig-a");
        Assert.Equal(55 + 7 + 3, group.Seen);
        Assert.Equal(1, group.Hits);
    }

    [Fact]
    public async Task Totals_of_a_signature_without_a_group_are_left_out_and_said_so()
    {
        await using var db = await OpenWithGroupAsync("early", "sig-a");

        var stored = await db.Crashes.RecordSeenAsync("early", 0, First,
            [new SeenCount("sig-a", 5), new SeenCount("sig-not-reported-yet", 9)], CancellationToken.None);

        Assert.Equal(["sig-a"], stored);
        Assert.Equal(5, (await GroupAsync(db, "early", "sig-a")).Seen);
        // The same signature in another campaign is another group: nothing of it is counted here.
        await db.Campaigns.UpsertAsync(new CampaignRecord("other", "v5.7", 2, 7, "running", T0), CancellationToken.None);
        Assert.Empty(await db.Crashes.RecordSeenAsync("other", 0, First, [new SeenCount("sig-a", 100)], CancellationToken.None));
        Assert.Equal(5, (await GroupAsync(db, "early", "sig-a")).Seen);
    }
}
