using FuzzFarm.Storage;
using FuzzFarm.Testing;
using Xunit;

namespace FuzzFarm.Farm.Tests;

/// <summary>Wrong connection strings, unknown profiles and corrupt corpus rows: one clear line, exit 2 where it is the user's input, no lost data.</summary>
[Collection(FarmCollection.Name)]
public sealed class BadInputTests(PostgresFixture postgres) : IClassFixture<PostgresFixture>
{
    private static readonly TimeSpan Short = TimeSpan.FromMinutes(1);

    [Theory]
    [InlineData("Host=127.0.0.1;Port=1;Username=nobody;Database=nothing;Timeout=3", "cannot connect")]
    [InlineData("this is not a connection string", "connection string")]
    [InlineData("garbage=;;", "unknown keyword 'garbage'")]
    public async Task A_wrong_connection_string_is_one_line_and_exit_2(string connectionString, string expected)
    {
        foreach (var args in new[]
        {
            new[] { "run", "--profile", "v5.7", "--minutes", "0.1", "--db", connectionString },
            new[] { "crashes", "--db", connectionString },
            new[] { "campaign", "status", "x", "--db", connectionString },
        })
        {
            var run = await FarmProcess.RunAsync(Short, args);
            Assert.Equal(2, run.ExitCode);
            var errors = run.Lines.Where(l => l.StartsWith("fuzzfarm", StringComparison.Ordinal)).ToList();
            Assert.Contains(expected, errors[0], StringComparison.Ordinal);
            Assert.DoesNotContain('\n', errors[0]);
        }
    }

    [Fact]
    public async Task An_unknown_profile_is_refused_before_anything_starts()
    {
        var cs = await postgres.CreateDatabaseAsync();
        await using (await FarmDatabase.OpenAsync(cs, CancellationToken.None))
        {
            // Schema in place, so "no campaign was created" is a real check.
        }
        var run = await FarmProcess.RunAsync(Short, "run", "--profile", "v4.19", "--minutes", "0.1", "--db", cs);
        Assert.Equal(2, run.ExitCode);
        Assert.Contains(run.Lines, l => l.StartsWith("fuzzfarm run: --profile", StringComparison.Ordinal) && l.Contains("v4.19", StringComparison.Ordinal));
        var start = await FarmProcess.RunAsync(Short, "campaign", "start", "c", "--profile", "nope", "--db", cs);
        Assert.Equal(2, start.ExitCode);
        Assert.Equal(0, await FarmQueries.ScalarAsync(cs, "SELECT count(*) FROM campaigns"));
    }

    [Fact]
    public async Task Without_a_running_cluster_a_client_says_so_on_one_line()
    {
        var cs = await postgres.CreateDatabaseAsync();
        var run = await FarmProcess.RunAsync(Short, "campaign", "status", "nobody-home", "--db", cs);
        Assert.Equal(3, run.ExitCode);
        var line = Assert.Single(run.Lines);
        Assert.StartsWith("fuzzfarm campaign: no silo reachable", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_corrupt_corpus_row_is_reported_skipped_and_kept_while_the_rest_resumes()
    {
        var cs = await postgres.CreateDatabaseAsync();
        await using (var database = await FarmDatabase.OpenAsync(cs, CancellationToken.None))
        {
            await database.Campaigns.UpsertAsync(new CampaignRecord("corrupt", "v5.7", 1, 7, "stopped", DateTimeOffset.UtcNow), CancellationToken.None);
            await database.Corpus.AddAsync("corrupt",
            [
                ("good1", "a = mmap(4K, rw, private)\nstore(a, 1)\n", 3, null),
                ("bad", "a = mmap(4K, rw, private\n", 2, null),
                ("good2", "a = mmap(2M, rw, private)\nt1 = fork()\n", 4, null),
            ], CancellationToken.None);
        }
        var run = await FarmProcess.RunAsync(TimeSpan.FromMinutes(3),
            "run", "--profile", "v5.7", "--campaign", "corrupt", "--machines", "1", "--minutes", "0.1", "--db", cs);
        Assert.True(run.ExitCode is 0 or 1, string.Join('\n', run.Lines));
        var badId = await FarmQueries.ScalarAsync(cs, "SELECT id FROM corpus_entries WHERE campaign = 'corrupt' AND hash = 'bad'");
        var report = Assert.Single(run.Lines, l => l.Contains($"corpus row {badId} of campaign corrupt does not parse", StringComparison.Ordinal));
        Assert.Contains("line 1, column", report, StringComparison.Ordinal);
        Assert.Contains(run.Lines, l => l.Contains("resumed 2, 1 corrupt rows skipped", StringComparison.Ordinal));
        // Nothing was deleted: the bad row is still there for a human to look at.
        Assert.Equal(1, await FarmQueries.ScalarAsync(cs, "SELECT count(*) FROM corpus_entries WHERE campaign = 'corrupt' AND hash = 'bad'"));
    }
}
