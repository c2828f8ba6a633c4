using FuzzFarm.Machine;
using FuzzFarm.Oracle;
using FuzzFarm.Programs;
using FuzzFarm.Storage;
using FuzzFarm.Testing;
using Xunit;

namespace FuzzFarm.Farm.Tests;

/// <summary>Three <c>fuzzfarm silo</c> processes clustered through PostgreSQL, driven by <c>fuzzfarm campaign</c>.</summary>
[Collection(FarmCollection.Name)]
public sealed class ClusterCampaignTests(PostgresFixture postgres) : IClassFixture<PostgresFixture>
{
    private static readonly TimeSpan FindTimeout = TimeSpan.FromMinutes(3);

    [Fact]
    public async Task Three_silos_record_the_vmsplice_leak_minimized_and_a_restart_resumes_the_corpus()
    {
        var cs = await postgres.CreateDatabaseAsync();
        await using var database = await FarmDatabase.OpenAsync(cs, CancellationToken.None);
        using var cluster = await SiloCluster.StartAsync(cs, 3);

        var start = await cluster.ClientAsync("campaign", "start", "v57", "--profile", "v5.7", "--machines", "3");
        Assert.True(start.ExitCode == 0, string.Join('\n', start.Lines));

        CrashGroup? leak = null;
        await Eventually.HoldsAsync(async () =>
        {
            var groups = await database.Crashes.ListGroupsAsync("v57", CancellationToken.None);
            leak = groups.FirstOrDefault(g => g.Kind == "cross-process-visibility" && g.MinimizedText is { } m && m.Contains("vmsplice(", StringComparison.Ordinal));
            return leak is not null;
        }, FindTimeout, () => cluster.AllLines);

        // The stored repro is a real one: it parses and still violates on v5.7, and the matrix says so.
        var repro = ProgramParser.Parse(leak!.MinimizedText!);
        var replay = new Executor().Run(repro, KernelProfile.Parse("v5.7"));
        Assert.Contains(replay.Violations, v => v.Signature == leak.Signature);
        Assert.True(leak.Matrix["v5.7"]);
        Assert.Contains("v5.7", leak.IntroducedIn);

        // The machines were spread over the three silos.
        var status = await cluster.ClientAsync("campaign", "status", "v57");
        Assert.Equal(3, CampaignStatusText.FuzzingSilos(status.Stdout).Distinct().Count());

        var stop = await cluster.ClientAsync("campaign", "stop", "v57");
        Assert.Equal(0, stop.ExitCode);
        await Eventually.HoldsAsync(async () => CampaignStatusText.Pending((await cluster.ClientAsync("campaign", "status", "v57")).Stdout) == 0,
            TimeSpan.FromMinutes(1), () => cluster.AllLines);
        // Every group counts the violations the machines saw, not only the reports they sent: many more on v5.7.
        await Eventually.HoldsAsync(async () =>
        {
            var groups = await database.Crashes.ListGroupsAsync("v57", CancellationToken.None);
            return groups.All(g => g.Seen >= 1) && groups.Sum(g => g.Seen) > 10 * groups.Sum(g => g.Hits);
        }, TimeSpan.FromSeconds(30), () => cluster.AllLines);
        // And campaign status says so (read again until a total still on its way from a stopped machine has landed).
        await Eventually.HoldsAsync(async () =>
        {
            var said = CampaignStatusText.Violations((await cluster.ClientAsync("campaign", "status", "v57")).Stdout);
            return said > 0 && said == (await database.Crashes.ListGroupsAsync("v57", CancellationToken.None)).Sum(g => g.Seen);
        }, TimeSpan.FromSeconds(30), () => cluster.AllLines);
        var stored = await FarmQueries.ScalarAsync(cs, "SELECT count(*) FROM corpus_entries WHERE campaign = 'v57'");
        Assert.True(stored > 0, "the corpus was persisted");

        // Restart without a profile: the stored campaign resumes, and its hub reloads the stored corpus.
        var restart = await cluster.ClientAsync("campaign", "start", "v57");
        Assert.True(restart.ExitCode == 0, string.Join('\n', restart.Lines));
        long resumed = 0, pruned = 0;
        await Eventually.HoldsAsync(async () =>
        {
            var text = (await cluster.ClientAsync("campaign", "status", "v57")).Stdout;
            (resumed, pruned) = (CampaignStatusText.Resumed(text), CampaignStatusText.Pruned(text));
            return resumed > 0;
        }, TimeSpan.FromMinutes(1), () => cluster.AllLines);
        // Every stored program is either handed to the machines again or left out because those reach all its features.
        Assert.True(resumed + pruned >= stored, $"resumed {resumed} and pruned {pruned} of {stored} stored programs");
        await cluster.ClientAsync("campaign", "stop", "v57");
        await FarmQueries.AssertNoDuplicatesAsync(cs, "v57");
    }

    [Fact]
    public async Task A_silo_killed_hard_loses_no_stored_report_and_the_campaign_goes_on()
    {
        var cs = await postgres.CreateDatabaseAsync();
        await using var database = await FarmDatabase.OpenAsync(cs, CancellationToken.None);
        using var cluster = await SiloCluster.StartAsync(cs, 3);
        var start = await cluster.ClientAsync("campaign", "start", "kill", "--profile", "v5.7", "--machines", "3");
        Assert.True(start.ExitCode == 0, string.Join('\n', start.Lines));

        // Let every silo run its machine and store something first (a machine placed before its silo was known to the
        // placing one moves there).
        await cluster.StatusWhenAsync("kill", async text =>
            CampaignStatusText.FuzzingSilos(text).Distinct().Count() == 3 && (await FarmQueries.ReportIdsAsync(cs, "kill")).Count > 0, FindTimeout);
        var victim = cluster.Silos[1];
        var victimName = SiloCluster.Endpoint(victim) + ":";
        var acknowledgedBefore = FarmLog.Stored(cluster.AllLines);
        victim.Kill();
        var survivors = cluster.Silos.Where(s => s != victim).ToList();

        // The campaign goes on: all three machines fuzz again, on the two live silos, and executions keep growing.
        var executions = CampaignStatusText.Executions(await cluster.StatusWhenAsync("kill", text =>
        {
            var silos = CampaignStatusText.FuzzingSilos(text);
            return silos.Count == 3 && silos.Distinct().Count() == 2 && !silos.Any(s => s.Contains(victimName, StringComparison.Ordinal));
        }, TimeSpan.FromMinutes(2)));
        await Task.Delay(TimeSpan.FromSeconds(5));
        Assert.True(CampaignStatusText.Executions((await cluster.ClientAsync("campaign", "status", "kill")).Stdout) > executions);
        Assert.All(survivors, s => Assert.False(s.HasExited));

        var stop = await cluster.ClientAsync("campaign", "stop", "kill");
        Assert.Equal(0, stop.ExitCode);
        await Eventually.HoldsAsync(async () => CampaignStatusText.Pending((await cluster.ClientAsync("campaign", "status", "kill")).Stdout) == 0,
            TimeSpan.FromMinutes(1), () => cluster.AllLines);

        // Every report acknowledged before the kill is stored, and every report the survivors found gets stored too
        // (an orphaned duplicate activation delivers its last ones when its lease runs out).
        var ids = (await FarmQueries.ReportIdsAsync(cs, "kill")).ToHashSet(StringComparer.Ordinal);
        Assert.NotEmpty(acknowledgedBefore);
        Assert.Subset(ids, acknowledgedBefore);
        await Eventually.HoldsAsync(async () =>
        {
            var stored = (await FarmQueries.ReportIdsAsync(cs, "kill")).ToHashSet(StringComparer.Ordinal);
            return FarmLog.Found(survivors.SelectMany(s => s.Lines)).IsSubsetOf(stored);
        }, TimeSpan.FromMinutes(1), () => FarmLog.Found(survivors.SelectMany(s => s.Lines)).Except(ids).Select(id => "not stored: " + id));
        await FarmQueries.AssertNoDuplicatesAsync(cs, "kill");
    }

    [Fact]
    public async Task A_silo_that_joins_a_running_campaign_gets_its_share_of_the_machines()
    {
        var cs = await postgres.CreateDatabaseAsync();
        using var cluster = await SiloCluster.StartAsync(cs, 1);
        var start = await cluster.ClientAsync("campaign", "start", "join", "--profile", "latest", "--machines", "2");
        Assert.True(start.ExitCode == 0, string.Join('\n', start.Lines));
        await cluster.StatusWhenAsync("join", text => CampaignStatusText.FuzzingSilos(text).Count == 2, FindTimeout);

        var joined = await cluster.AddSiloAsync();
        var joinedName = SiloCluster.Endpoint(joined) + ":";
        var executions = CampaignStatusText.Executions(await cluster.StatusWhenAsync("join", text =>
        {
            var silos = CampaignStatusText.FuzzingSilos(text);
            return silos.Count == 2 && silos.Count(s => s.Contains(joinedName, StringComparison.Ordinal)) == 1;
        }, TimeSpan.FromMinutes(2)));
        await Task.Delay(TimeSpan.FromSeconds(3));
        Assert.True(CampaignStatusText.Executions((await cluster.ClientAsync("campaign", "status", "join")).Stdout) > executions);
        Assert.Contains(cluster.Silos[0].Lines, l => l.Contains(" moving to ", StringComparison.Ordinal));
        Assert.Equal(0, (await cluster.ClientAsync("campaign", "stop", "join")).ExitCode);
    }

    [Fact]
    public async Task A_restart_of_the_whole_farm_carries_the_campaign_totals_on()
    {
        const string LatestTotal = """
            SELECT coalesce(sum(executions), 0) FROM
              (SELECT DISTINCT ON (machine) executions FROM stat_samples WHERE campaign = 'restart' ORDER BY machine, at DESC) latest
            """;
        var cs = await postgres.CreateDatabaseAsync();
        long sampled = 0;
        using (var cluster = await SiloCluster.StartAsync(cs, 1))
        {
            var start = await cluster.ClientAsync("campaign", "start", "restart", "--profile", "latest", "--machines", "2");
            Assert.True(start.ExitCode == 0, string.Join('\n', start.Lines));
            await Eventually.HoldsAsync(async () =>
            {
                sampled = await FarmQueries.ScalarAsync(cs, LatestTotal);
                return await FarmQueries.ScalarAsync(cs, "SELECT count(DISTINCT machine) FROM stat_samples WHERE campaign = 'restart' AND executions > 0") == 2;
            }, FindTimeout, () => cluster.AllLines);
            // The whole farm crashes: the new silo (on new ports) must first see the dead one's heartbeat go stale.
            cluster.Silos[0].Kill();
        }

        // Every silo died: the machines start again from nothing, the campaign's totals must not.
        using var again = await SiloCluster.StartAsync(cs, 1);
        var resume = await again.ClientAsync("campaign", "start", "restart");
        Assert.True(resume.ExitCode == 0, string.Join('\n', resume.Lines));
        var executions = CampaignStatusText.Executions(resume.Stdout);
        Assert.True(executions >= sampled, $"{executions} executions after the restart, {sampled} stored before it:\n{resume.Stdout}");
        await Eventually.HoldsAsync(async () => await FarmQueries.ScalarAsync(cs, LatestTotal) > sampled, TimeSpan.FromMinutes(1), () => again.AllLines);
        await again.ClientAsync("campaign", "stop", "restart");
    }
}
