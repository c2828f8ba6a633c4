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
}
