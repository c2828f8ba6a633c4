using System.Globalization;
using System.Text.RegularExpressions;
using Npgsql;
using Xunit;

namespace FuzzFarm.Monitoring.Tests;

/// <summary>
/// fuzzfarm_violations_total counts every violation the machines' executions showed, as the dashboards say, not only
/// the reports of new or shorter finds (which a campaign on v5.7 makes a few dozen of).
/// </summary>
[Collection(CampaignCollection.Name)]
public sealed class ViolationMetricTests(CampaignFixture campaign)
{
    [RequiresPrometheusFact]
    public async Task TheViolationCounterExceedsTheReportsTheMachinesSent()
    {
        var range = await campaign.ScrapedRangeAsync();
        var samples = await campaign.Prometheus!.QueryAsync($"sum(fuzzfarm_violations_total{{campaign=\"{campaign.Campaign}\"}})", range.To);
        var violations = samples.Count == 0 ? 0 : double.Parse((string)samples[0]!["value"]![1]!, System.Globalization.CultureInfo.InvariantCulture);

        await using var source = NpgsqlDataSource.Create(campaign.ConnectionString);
        await using var count = source.CreateCommand(
            "SELECT count(*) FROM crash_instances i JOIN crash_groups g ON g.id = i.group_id WHERE g.campaign = $1");
        count.Parameters.Add(new NpgsqlParameter { Value = campaign.Campaign });
        var reports = (long)(await count.ExecuteScalarAsync())!;

        Assert.True(reports > 0, $"the campaign stored no crash report; run output:\n{campaign.Output}");
        Assert.True(violations > 10 * reports, $"fuzzfarm_violations_total is {violations} for {reports} stored reports");
    }

    /// <summary>
    /// The counter's signature label is the crash groups' signature: each signature it counts has a stored group of
    /// the same kind (a first sighting is always reported; the last second's may not have been scraped).
    /// </summary>
    [RequiresPrometheusFact]
    public async Task TheViolationCounterIsLabelledWithTheStoredSignatures()
    {
        var range = await campaign.ScrapedRangeAsync();
        var samples = await campaign.Prometheus!.QueryAsync(
            $"sum by (signature, kind) (fuzzfarm_violations_total{{campaign=\"{campaign.Campaign}\"}})", range.To);
        var counted = samples.Select(s => (Signature: (string?)s!["metric"]!["signature"], Kind: (string?)s["metric"]!["kind"])).ToList();

        await using var source = NpgsqlDataSource.Create(campaign.ConnectionString);
        await using var groups = source.CreateCommand("SELECT signature, kind FROM crash_groups WHERE campaign = $1");
        groups.Parameters.Add(new NpgsqlParameter { Value = campaign.Campaign });
        var stored = new Dictionary<string, string>(StringComparer.Ordinal);
        await using (var reader = await groups.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                stored[reader.GetString(0)] = reader.GetString(1);
            }
        }

        Assert.True(counted.Count >= 2, $"{counted.Count} signatures counted; stored groups: {string.Join("; ", stored.Keys)}");
        foreach (var (signature, kind) in counted)
        {
            Assert.True(signature is not null && stored.TryGetValue(signature, out var storedKind) && storedKind == kind,
                $"counted signature '{signature}' ({kind}) is not a stored crash group's; stored: {string.Join("; ", stored.Select(g => $"{g.Key} ({g.Value})"))}");
        }
    }

    [Fact]
    public async Task TheRunSummarySaysTheViolationsItsCrashGroupsCounted()
    {
        var summary = Regex.Match(campaign.Output, @"crash groups (\d+), violations (\d+)");
        Assert.True(summary.Success, $"no summary line in:\n{campaign.Output}");

        await using var source = NpgsqlDataSource.Create(campaign.ConnectionString);
        await using var seen = source.CreateCommand(
            "SELECT coalesce(sum(s.seen), 0)::bigint, count(DISTINCT g.id) FROM crash_groups g LEFT JOIN crash_seen s ON s.group_id = g.id WHERE g.campaign = $1");
        seen.Parameters.Add(new NpgsqlParameter { Value = campaign.Campaign });
        await using var reader = await seen.ExecuteReaderAsync();
        await reader.ReadAsync();
        Assert.Equal(reader.GetInt64(1).ToString(CultureInfo.InvariantCulture), summary.Groups[1].Value);
        Assert.Equal(reader.GetInt64(0).ToString(CultureInfo.InvariantCulture), summary.Groups[2].Value);
        Assert.True(reader.GetInt64(0) > reader.GetInt64(1), $"summary: {summary.Value}");
        // The live status line says it too.
        Assert.Matches(@"crashes \d+ \(\d+ triaged, [\d.]+k? violations\)", campaign.Output);
    }
}
