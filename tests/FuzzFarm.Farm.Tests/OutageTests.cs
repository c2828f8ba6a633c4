using FuzzFarm.Storage;
using FuzzFarm.Testing;
using Xunit;

namespace FuzzFarm.Farm.Tests;

/// <summary>PostgreSQL goes away for 20 s under a running two-silo cluster (a private server: others' tests are not disturbed).</summary>
[Collection(FarmCollection.Name)]
public sealed class OutageTests
{
    [Fact]
    public async Task Twenty_seconds_without_PostgreSQL_lose_and_duplicate_nothing_and_crash_nothing()
    {
        await using var server = await PrivatePostgresServer.StartAsync();
        var cs = server.ConnectionString;
        await using (await FarmDatabase.OpenAsync(cs, CancellationToken.None))
        {
            // Migrations applied before the silos join.
        }
        using var cluster = await SiloCluster.StartAsync(cs, 2);
        var start = await cluster.ClientAsync("campaign", "start", "outage", "--profile", "v5.7", "--machines", "2");
        Assert.True(start.ExitCode == 0, string.Join('\n', start.Lines));
        // Cut the store as soon as the machines fuzz: early on they find the most, so reports meet the outage.
        await Eventually.HoldsAsync(async () => CampaignStatusText.Executions((await cluster.ClientAsync("campaign", "status", "outage")).Stdout) > 0,
            TimeSpan.FromMinutes(2), () => cluster.AllLines);
        await server.StopAsync();
        await Task.Delay(TimeSpan.FromSeconds(20));
        await server.RestartAsync();
        Assert.All(cluster.Silos, s => Assert.False(s.HasExited, "a silo died during the outage"));

        // After the outage the cluster still answers and keeps fuzzing; then stop and let every report drain.
        string status = "";
        await Eventually.HoldsAsync(async () =>
        {
            var run = await cluster.ClientAsync("campaign", "status", "outage");
            status = run.Stdout;
            return run.ExitCode == 0 && CampaignStatusText.FuzzingSilos(status).Count == 2;
        }, TimeSpan.FromMinutes(2), () => cluster.AllLines);
        await Eventually.HoldsAsync(async () => (await cluster.ClientAsync("campaign", "stop", "outage")).ExitCode == 0,
            TimeSpan.FromMinutes(1), () => cluster.AllLines);
        await Eventually.HoldsAsync(async () => CampaignStatusText.Pending((await cluster.ClientAsync("campaign", "status", "outage")).Stdout) == 0,
            TimeSpan.FromMinutes(2), () => cluster.AllLines);

        var found = FarmLog.Found(cluster.AllLines);
        var stored = (await FarmQueries.ReportIdsAsync(cs, "outage")).ToHashSet(StringComparer.Ordinal);
        Assert.NotEmpty(found);
        Assert.Subset(stored, found);
        // The outage was felt (writes failed and were retried), not slept through.
        Assert.Contains(cluster.AllLines, l => l.Contains("will retry", StringComparison.Ordinal));
        await FarmQueries.AssertNoDuplicatesAsync(cs, "outage");
        Assert.All(cluster.Silos, s => Assert.False(s.HasExited, "a silo died after the outage"));
    }
}
