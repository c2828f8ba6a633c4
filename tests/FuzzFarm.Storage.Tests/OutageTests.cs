using FuzzFarm.Storage;
using FuzzFarm.Testing;
using Xunit;

namespace FuzzFarm.Storage.Tests;

/// <summary>Writes issued while PostgreSQL is down are retried until it is back: none lost, none doubled.</summary>
public sealed class OutageTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 25, 12, 0, 0, TimeSpan.Zero);
    private static readonly SampleOrigin Origin = new(Guid.Parse("00000000-0000-0000-0000-000000000001"), 0, 0);

    [Fact]
    public async Task Reports_written_during_an_outage_arrive_exactly_once_after_restart()
    {
        await using var server = await PrivatePostgresServer.StartAsync();
        await using var db = await FarmDatabase.OpenAsync(server.ConnectionString, new RetryPolicy(TimeSpan.FromMinutes(1)), CancellationToken.None);
        await db.Campaigns.UpsertAsync(new CampaignRecord("outage", "v5.7", 2, 1, "running", T0), CancellationToken.None);
        await db.Crashes.RecordAsync(Report("before"), CancellationToken.None);

        await server.StopAsync();
        // Each report is sent twice, as a reporter that timed out would resend it.
        var writes = Enumerable.Range(0, 10).SelectMany(i => new[]
        {
            db.Crashes.RecordAsync(Report($"during-{i}"), CancellationToken.None),
            db.Crashes.RecordAsync(Report($"during-{i}"), CancellationToken.None),
        }).ToList();
        var corpus = db.Corpus.AddAsync("outage", [("h-1", "p1\n", 1, null), ("h-2", "p2\n", 2, null)], CancellationToken.None);
        var sample = db.Stats.AddSampleAsync("outage", "silo", 0, T0, 10, 1, 2, 3, Origin, CancellationToken.None);
        await Task.Delay(TimeSpan.FromSeconds(3));
        Assert.DoesNotContain(writes, w => w.IsCompletedSuccessfully);
        await server.RestartAsync();
        await Task.WhenAll(writes);
        await corpus;
        await sample;

        var group = Assert.Single(await db.Crashes.ListGroupsAsync("outage", CancellationToken.None));
        Assert.Equal(11, group.Hits);
        Assert.Equal(11, (await db.Crashes.ListInstancesAsync(group.Id, CancellationToken.None)).Count);
        Assert.Equal(2, (await db.Corpus.LoadAsync("outage", CancellationToken.None)).Count);
        Assert.Single(await db.Stats.ListAsync("outage", CancellationToken.None));
    }

    [Fact]
    public async Task A_write_that_outlasts_the_retry_budget_fails_with_a_clear_error()
    {
        await using var server = await PrivatePostgresServer.StartAsync();
        await using var db = await FarmDatabase.OpenAsync(server.ConnectionString, new RetryPolicy(TimeSpan.FromSeconds(1)), CancellationToken.None);
        await server.StopAsync();

        var error = await Assert.ThrowsAsync<StorageException>(() => db.Campaigns.ListAsync(CancellationToken.None));

        Assert.StartsWith("PostgreSQL unavailable for ", error.Message, StringComparison.Ordinal);
        await server.RestartAsync();
    }

    private static CrashReport Report(string id) =>
        new(id, "outage", "sig-outage", "child-sees-parent-write", "v5.7", 1, $"# {id}\n", T0);
}
