using FuzzFarm.Grains;
using FuzzFarm.Grains.Contracts;
using FuzzFarm.Programs;
using FuzzFarm.Silo.Hosting;
using FuzzFarm.Storage;
using FuzzFarm.Testing;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace FuzzFarm.Farm.Tests;

/// <summary>
/// A real silo's triage grain, sent reports by a real Orleans client: a later report on a shorter program is triaged
/// too, and its repro replaces the stored one when it is shorter, with its own profile matrix; the silo counts the
/// replacement on its metrics endpoint.
/// </summary>
[Collection(FarmCollection.Name)]
public sealed class ShorterReproTests(PostgresFixture postgres) : IClassFixture<PostgresFixture>
{
    private static readonly TimeSpan Triaged = TimeSpan.FromMinutes(2);
    private static readonly DateTimeOffset T0 = new(2026, 12, 2, 12, 0, 0, TimeSpan.Zero);
    private const string Campaign = "shorter";
    [Fact]
    public async Task A_shorter_report_of_another_root_cause_replaces_the_stored_repro()
    {
        var (cs, database) = await NewCampaignAsync();
        await using var _ = database;
        using var cluster = await SiloCluster.StartAsync(cs, 1, metrics: true);
        using var client = FarmHost.Client(cs);
        await client.StartAsync();
        var triage = client.Services.GetRequiredService<IClusterClient>().GetGrain<ITriageGrain>(TriageKey.Format(Campaign, TwoRootCauses.Signature));

        Assert.True(await triage.ReportAsync(Report("r1", TwoRootCauses.ODirect)));
        var first = await ReproWithLinesAsync(database, 7, cluster);
        Assert.True(first.Matrix["v6.2"]);
        await Eventually.HoldsAsync(async () => ReplacedRepros(await cluster.MetricsAsync(cluster.Silos[0])) == 0, Triaged, () => cluster.AllLines);

        Assert.True(await triage.ReportAsync(Report("r2", TwoRootCauses.Pin)));
        // What `run` waits for before it prints: a triage grain that is no longer busy has stored what it took.
        await Eventually.HoldsAsync(async () => !await triage.BusyAsync(), Triaged, () => cluster.AllLines);
        var second = (await database.Crashes.ListGroupsAsync(Campaign, CancellationToken.None)).Single();
        Assert.Equal(5, ProgramParser.Parse(second.MinimizedText!).Statements.Length);
        Assert.Equal(TwoRootCauses.Pin, second.MinimizedText);
        Assert.True(second.Matrix["v5.9-rc4"]);
        Assert.False(second.Matrix["v5.9"]);
        Assert.Equal(["v5.9"], second.FixedIn);
        Assert.Equal(2, second.Hits);
        await Eventually.HoldsAsync(async () => ReplacedRepros(await cluster.MetricsAsync(cluster.Silos[0])) == 1, Triaged, () => cluster.AllLines);
        await client.StopAsync();
    }

    /// <summary>The campaign's replaced-repro counter in Prometheus text format; -1 when the series is missing.</summary>
    private static long ReplacedRepros(string metrics)
    {
        var line = metrics.Split('\n').FirstOrDefault(l =>
            l.StartsWith("fuzzfarm_triage_repros_replaced_total{", StringComparison.Ordinal) && l.Contains($"campaign=\"{Campaign}\"", StringComparison.Ordinal));
        return line is null ? -1 : long.Parse(line[(line.LastIndexOf('}') + 1)..].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
    }

    [Fact]
    public async Task After_a_restart_a_report_no_shorter_than_the_stored_ones_is_not_triaged_again()
    {
        var (cs, database) = await NewCampaignAsync();
        await using var _ = database;
        var key = TriageKey.Format(Campaign, TwoRootCauses.Signature);
        using (var cluster = await SiloCluster.StartAsync(cs, 1))
        {
            using var client = FarmHost.Client(cs);
            await client.StartAsync();
            Assert.True(await client.Services.GetRequiredService<IClusterClient>().GetGrain<ITriageGrain>(key).ReportAsync(Report("r1", TwoRootCauses.Pin)));
            await ReproWithLinesAsync(database, 5, cluster);
            // The whole farm dies: the triage grain's next activation knows no report of its own.
            cluster.Silos[0].Kill();
        }

        using var again = await SiloCluster.StartAsync(cs, 1);
        using var next = FarmHost.Client(cs);
        await next.StartAsync();
        var triage = next.Services.GetRequiredService<IClusterClient>().GetGrain<ITriageGrain>(key);

        // Longer than the stored 5-line report: before the restart it would not have been minimized, nor is it now.
        Assert.True(await triage.ReportAsync(Report("r2", TwoRootCauses.ODirect)));
        Assert.False(await triage.BusyAsync());
        Assert.Equal(2, (await database.Crashes.ListGroupsAsync(Campaign, CancellationToken.None)).Single().Hits);
        await next.StopAsync();
        // A triage that ran would have logged its outcome before BusyAsync answered (a timer tick and a call do not
        // interleave); the silo's output is complete once it has exited.
        again.Silos[0].Kill();
        Assert.DoesNotContain(again.AllLines, l => l.Contains("minimized to", StringComparison.Ordinal));
    }

    /// <summary>A fresh database holding the campaign the reports belong to.</summary>
    private async Task<(string ConnectionString, FarmDatabase Database)> NewCampaignAsync()
    {
        var cs = await postgres.CreateDatabaseAsync();
        var database = await FarmDatabase.OpenAsync(cs, CancellationToken.None);
        await database.Campaigns.UpsertAsync(new CampaignRecord(Campaign, "v5.7", 1, 1, "finished", T0), CancellationToken.None);
        return (cs, database);
    }

    private static ViolationReport Report(string id, string program) =>
        new(id, Campaign, "v5.7", 0, TwoRootCauses.Signature, TwoRootCauses.Kind, program, T0);

    private static async Task<CrashGroup> ReproWithLinesAsync(FarmDatabase database, int lines, SiloCluster cluster)
    {
        CrashGroup? group = null;
        await Eventually.HoldsAsync(async () =>
        {
            group = (await database.Crashes.ListGroupsAsync(Campaign, CancellationToken.None)).SingleOrDefault();
            return group?.MinimizedText is { } text && ProgramParser.Parse(text).Statements.Length == lines;
        }, Triaged, () => cluster.AllLines);
        return group!;
    }
}
