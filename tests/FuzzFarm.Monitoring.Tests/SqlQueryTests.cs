using Npgsql;
using Xunit;

namespace FuzzFarm.Monitoring.Tests;

/// <summary>
/// Every SQL query of every dashboard, macros expanded as Grafana does, run as the dashboards' read-only role against
/// the schema a real campaign filled.
/// </summary>
[Collection(CampaignCollection.Name)]
public sealed class SqlQueryTests(CampaignFixture campaign)
{
    private const string Reader = "fuzzfarm_reader";

    [Fact]
    public async Task EveryPostgresQueryOfEveryDashboardSucceedsAsTheReaderAndReturnsRows()
    {
        var reader = new NpgsqlConnectionStringBuilder(campaign.ConnectionString) { Username = Reader, Password = Reader }.ConnectionString;
        await using var source = NpgsqlDataSource.Create(reader);
        var range = new GrafanaRange(campaign.Started.AddSeconds(-10), campaign.Finished.AddSeconds(10), PrometheusInstance.ScrapeInterval);
        var queries = Dashboard.All.SelectMany(d => d.Queries).Where(q => q.DatasourceUid == Dashboard.PostgresUid).ToList();
        var failures = new List<string>();
        foreach (var query in queries)
        {
            var sql = GrafanaTemplating.SqlMacros(GrafanaTemplating.Variables(query.Text, campaign.Campaign, range), range.From, range.To);
            try
            {
                var problem = await CheckAsync(source, query, sql);
                if (problem is not null)
                {
                    failures.Add($"{query.Where}: {problem}\n{sql}");
                }
            }
            catch (NpgsqlException e)
            {
                failures.Add($"{query.Where}: {e.Message}\n{sql}");
            }
        }
        Assert.True(queries.Count >= 10, $"only {queries.Count} SQL queries found in {RepoPaths.Dashboards}");
        Assert.True(failures.Count == 0, $"{failures.Count} of {queries.Count} queries failed:\n{string.Join("\n\n", failures)}\n\nrun output:\n{campaign.Output}");
    }

    private async Task<string?> CheckAsync(NpgsqlDataSource source, DashboardQuery query, string sql)
    {
        await using var command = source.CreateCommand(sql);
        await using var rows = await command.ExecuteReaderAsync();
        var columns = Enumerable.Range(0, rows.FieldCount).Select(rows.GetName).ToList();
        var timeColumn = columns.IndexOf("time");
        if (query.Format == "time_series" && timeColumn < 0)
        {
            return $"a time series needs a column named time; columns are {string.Join(", ", columns)}";
        }
        var count = 0;
        var firstColumn = new List<string>();
        double? lastTime = null;
        while (await rows.ReadAsync())
        {
            count++;
            firstColumn.Add(Convert.ToString(rows.GetValue(0), System.Globalization.CultureInfo.InvariantCulture) ?? "");
            if (query.Format == "time_series")
            {
                var time = TimeValue(rows.GetValue(timeColumn));
                if (time < lastTime)
                {
                    return $"rows are not sorted by time ({time} after {lastTime})";
                }
                lastTime = time;
            }
        }
        if (count == 0)
        {
            return "no rows";
        }
        // A variable's query must offer the campaign that ran.
        return query.IsVariable && !firstColumn.Contains(campaign.Campaign)
            ? $"campaign {campaign.Campaign} not offered"
            : null;
    }

    private static double TimeValue(object value) => value switch
    {
        DateTime t => t.Ticks / (double)TimeSpan.TicksPerSecond,
        DateTimeOffset t => t.UtcTicks / (double)TimeSpan.TicksPerSecond,
        _ => Convert.ToDouble(value, System.Globalization.CultureInfo.InvariantCulture),
    };
}
