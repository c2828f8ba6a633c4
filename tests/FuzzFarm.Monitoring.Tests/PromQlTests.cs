using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Xunit;

namespace FuzzFarm.Monitoring.Tests;

/// <summary>Every PromQL expression of every dashboard, Grafana's variables substituted, answered by a Prometheus that scraped a real campaign.</summary>
[Collection(CampaignCollection.Name)]
public sealed partial class PromQlTests(CampaignFixture campaign)
{
    [RequiresPrometheusFact]
    public async Task EveryPrometheusQueryOfEveryDashboardReturnsData()
    {
        var range = await campaign.ScrapedRangeAsync();
        var prometheus = campaign.Prometheus!;
        var queries = Dashboard.All.SelectMany(d => d.Queries).Where(q => q.DatasourceUid == Dashboard.PrometheusUid).ToList();
        var failures = new List<string>();
        foreach (var query in queries)
        {
            try
            {
                var problem = await CheckAsync(prometheus, query, range);
                if (problem is not null)
                {
                    failures.Add($"{query.Where}: {problem}\n    {query.Text}");
                }
            }
            catch (InvalidOperationException e)
            {
                failures.Add($"{query.Where}: {e.Message}\n    {query.Text}");
            }
        }
        Assert.True(queries.Count >= 20, $"only {queries.Count} Prometheus queries found in {RepoPaths.Dashboards}");
        Assert.True(failures.Count == 0,
            $"{failures.Count} of {queries.Count} queries returned no data over {range.From:O}..{range.To:O}:\n{string.Join('\n', failures)}\n" +
            $"scrapes (unix time=up): {await ScrapeHistoryAsync(prometheus, range)}");
    }

    private async Task<string?> CheckAsync(PrometheusInstance prometheus, DashboardQuery query, GrafanaRange range)
    {
        var labelValues = LabelValuesPattern().Match(query.Text);
        if (labelValues.Success)
        {
            var values = await prometheus.LabelValuesAsync(labelValues.Groups[2].Value, labelValues.Groups[1].Value, range.From, range.To);
            return values.Contains(campaign.Campaign) ? null : $"campaign {campaign.Campaign} not among [{string.Join(", ", values)}]";
        }
        var expr = GrafanaTemplating.Variables(query.Text, campaign.Campaign, range);
        if (query.Instant)
        {
            var samples = await prometheus.QueryAsync(expr, range.To);
            return samples.Any(s => Finite(s!["value"]!)) ? null : $"instant query at {range.To:O}: no finite sample in [{samples.ToJsonString()}]";
        }
        var series = await prometheus.QueryRangeAsync(expr, range.From, range.To, range.Interval);
        return series.Any(s => s!["values"]!.AsArray().Any(v => Finite(v!)))
            ? null
            : $"range query (step {range.Interval.TotalSeconds}s): no finite value in {series.Count} series";
    }

    /// <summary>Every scrape of the silo around the range, to tell a missed scrape from a missing series.</summary>
    private static async Task<string> ScrapeHistoryAsync(PrometheusInstance prometheus, GrafanaRange range)
    {
        var seconds = (int)Math.Ceiling(range.Range.TotalSeconds) + 30;
        var series = await prometheus.QueryAsync($"up{{job=\"fuzzfarm\"}}[{seconds}s]", range.To.AddSeconds(15));
        return string.Join(' ', series.SelectMany(s => s!["values"]!.AsArray()).Select(v => $"{(double)v![0]!:F1}={(string?)v[1]}"));
    }

    /// <summary>A [time, "value"] pair whose value is a number (histogram_quantile of nothing is NaN: no data to show).</summary>
    private static bool Finite(JsonNode pair) =>
        double.TryParse((string?)pair[1], NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && double.IsFinite(v);

    [GeneratedRegex(@"^\s*label_values\(\s*([^,\s]+)\s*,\s*([A-Za-z_][A-Za-z0-9_]*)\s*\)\s*$")]
    private static partial Regex LabelValuesPattern();
}
