using FuzzFarm.Storage;
using FuzzFarm.Testing;
using Xunit;

namespace FuzzFarm.Farm.Tests;

/// <summary>
/// <c>fuzzfarm retriage</c> against a real PostgreSQL: stored verdicts from an older machine are replaced by this
/// build's, the repro is kept, and a repro this build cannot read is named on one line and left as it is.
/// </summary>
[Collection(FarmCollection.Name)]
public sealed class RetriageTests(PostgresFixture postgres) : IClassFixture<PostgresFixture>
{
    private static readonly TimeSpan Short = TimeSpan.FromMinutes(2);
    private static readonly DateTimeOffset T0 = new(2026, 12, 2, 12, 0, 0, TimeSpan.Zero);

    // The hugetlb vmsplice leak (s2): hugetlb_wp reuses by mapcount everywhere but 5.8, whose read GUP broke COW.
    private const string Signature = "cross-process-visibility in hugetlb_wp: reuse by mapcount [hugetlb]";
    private const string Repro = """
        a = mmap(2M, rw, private|hugetlb)
        store(a, 1)
        t1 = fork()
        t1: p = pipe()
        t1: vmsplice(p, a, 4K)
        t1: munmap(a, 2M)
        store(a, 2)
        t1: read(p, 4K)

        """;

    [Fact]
    public async Task Stale_verdicts_are_replaced_and_the_repro_is_kept()
    {
        var cs = await postgres.CreateDatabaseAsync();
        long id;
        await using (var db = await FarmDatabase.OpenAsync(cs, CancellationToken.None))
        {
            id = await StoreTriagedAsync(db, "old", Signature, Repro);
        }

        var run = await FarmProcess.RunAsync(Short, "retriage", "--db", cs);

        Assert.Equal(0, run.ExitCode);
        Assert.Contains(run.Lines, l => l == "1 group(s) re-triaged, 1 changed, 0 unreadable");
        await using (var db = await FarmDatabase.OpenAsync(cs, CancellationToken.None))
        {
            var group = (await db.Crashes.GetGroupAsync(id, CancellationToken.None))!;
            Assert.Equal(Repro, group.MinimizedText);
            Assert.Equal(["v5.7", "v5.9-rc4"], group.IntroducedIn);
            Assert.Equal(["v5.8"], group.FixedIn);
            Assert.True(group.Matrix["v6.15"]);
            Assert.False(group.Matrix["v5.8"]);
        }
        var again = await FarmProcess.RunAsync(Short, "retriage", "--db", cs);
        Assert.Contains(again.Lines, l => l == "1 group(s) re-triaged, 0 changed, 0 unreadable");
    }

    [Fact]
    public async Task An_unreadable_repro_is_one_line_with_its_place_and_stays_stored()
    {
        var cs = await postgres.CreateDatabaseAsync();
        long id;
        await using (var db = await FarmDatabase.OpenAsync(cs, CancellationToken.None))
        {
            id = await StoreTriagedAsync(db, "bad", Signature, "a = mmap(4K, rw, private)\nfrobnicate(a)\n");
        }

        var run = await FarmProcess.RunAsync(Short, "retriage", "--db", cs);

        Assert.Equal(1, run.ExitCode);
        var error = Assert.Single(run.Lines, l => l.StartsWith("fuzzfarm retriage:", StringComparison.Ordinal));
        Assert.StartsWith($"fuzzfarm retriage: group {id} repro:2:", error, StringComparison.Ordinal);
        await using (var db = await FarmDatabase.OpenAsync(cs, CancellationToken.None))
        {
            var group = (await db.Crashes.GetGroupAsync(id, CancellationToken.None))!;
            Assert.Equal(["v6.2"], group.IntroducedIn);
        }
    }

    /// <summary>A group as an older build triaged it: wrong transitions and an empty matrix.</summary>
    private static async Task<long> StoreTriagedAsync(FarmDatabase db, string campaign, string signature, string repro)
    {
        await db.Campaigns.UpsertAsync(new CampaignRecord(campaign, "v5.7", 1, 1, "finished", T0), CancellationToken.None);
        var recorded = await db.Crashes.RecordAsync(
            new CrashReport($"{campaign}-1", campaign, signature, "cross-process-visibility", "v5.7", 0, repro, T0), CancellationToken.None);
        await db.Crashes.SetTriageAsync(campaign, signature, repro, new Dictionary<string, bool>(), new Dictionary<string, string>(),
            ["v6.2"], [], CancellationToken.None);
        return recorded.GroupId;
    }
}
