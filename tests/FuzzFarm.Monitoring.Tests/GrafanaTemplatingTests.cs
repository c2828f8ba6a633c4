using Xunit;

namespace FuzzFarm.Monitoring.Tests;

/// <summary>The SQL tests are only as good as the expansion: it must produce what Grafana's PostgreSQL backend produces.</summary>
public sealed class GrafanaTemplatingTests
{
    private static readonly DateTimeOffset From = new(2018, 4, 12, 18, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset To = From.AddMinutes(5);

    [Theory]
    [InlineData("select $__timeFilter(time_column)", "select time_column BETWEEN '2018-04-12T18:00:00Z' AND '2018-04-12T18:05:00Z'")]
    [InlineData("select $__timeFrom()", "select '2018-04-12T18:00:00Z'")]
    [InlineData("select $__timeTo()", "select '2018-04-12T18:05:00Z'")]
    [InlineData("GROUP BY $__timeGroup(time_column,'5m')", "GROUP BY floor(extract(epoch from time_column)/300)*300")]
    [InlineData("GROUP BY $__timeGroup(time_column, '1h')", "GROUP BY floor(extract(epoch from time_column)/3600)*3600")]
    [InlineData("SELECT $__timeGroupAlias(at,'1m'), 1", "SELECT floor(extract(epoch from at)/60)*60 AS \"time\", 1")]
    [InlineData("SELECT $__timeGroup(at,'1m'), 1", "SELECT floor(extract(epoch from at)/60)*60 AS \"time\", 1")]
    [InlineData("OVER (ORDER BY $__timeGroup(at,'1m'))", "OVER (ORDER BY floor(extract(epoch from at)/60)*60)")]
    [InlineData("select $__time(t)", "select t AS \"time\"")]
    [InlineData("select $__unixEpochFilter(t)", "select t >= 1523556000 AND t <= 1523556300")]
    public void MacrosExpandAsGrafanasBackendDoes(string sql, string expected) =>
        Assert.Equal(expected, GrafanaTemplating.SqlMacros(sql, From, To));

    [Fact]
    public void FractionsOfASecondKeepTheirDigitsAndLoseTrailingZeros() =>
        Assert.Equal("'2018-04-12T18:00:00.25Z'", GrafanaTemplating.SqlMacros("$__timeFrom()", From.AddMilliseconds(250), To));

    [Theory]
    [InlineData("select $__nope(x)")]
    [InlineData("select $__timeGroup(x)")]
    [InlineData("select $__timeGroup(x,'5 minutes')")]
    public void UnknownOrMalformedMacrosAreErrorsAsInGrafana(string sql) =>
        Assert.Throws<FormatException>(() => GrafanaTemplating.SqlMacros(sql, From, To));

    [Fact]
    public void IntervalsFollowTheRangeAndTheScrapeInterval()
    {
        var shortRange = new GrafanaRange(From, From.AddMinutes(2), TimeSpan.FromSeconds(2));
        Assert.Equal("rate(x[8s]) [120s] 2s campaign=\"c1\"",
            GrafanaTemplating.Variables("rate(x[$__rate_interval]) [$__range] $__interval campaign=\"${campaign}\"", "c1", shortRange));
        var day = new GrafanaRange(From, From.AddDays(1), TimeSpan.FromSeconds(5));
        Assert.Equal(TimeSpan.FromSeconds(87), day.Interval);
        Assert.Equal(TimeSpan.FromSeconds(92), day.RateInterval);
    }

    [Fact]
    public void VariablesOfOtherNamesAreLeftForTheQueryToReject() =>
        Assert.Equal("x[$__range_ms] $campaigns", GrafanaTemplating.Variables("x[$__range_ms] $campaigns", "c1", new GrafanaRange(From, To, TimeSpan.FromSeconds(2))));
}
