using System.Globalization;
using System.Text.RegularExpressions;

namespace FuzzFarm.Monitoring.Tests;

/// <summary>
/// A dashboard's time range as Grafana turns it into query variables. $__interval is the range over the panel's data
/// points (about 1000 for a full-width panel), never below the datasource's minimum interval (the scrape interval);
/// $__rate_interval is max($__interval + scrape interval, 4 × scrape interval), as Grafana documents it.
/// </summary>
internal sealed record GrafanaRange(DateTimeOffset From, DateTimeOffset To, TimeSpan ScrapeInterval)
{
    private const int MaxDataPoints = 1000;

    public TimeSpan Interval => TimeSpan.FromSeconds(Math.Max(ScrapeInterval.TotalSeconds, Math.Ceiling((To - From).TotalSeconds / MaxDataPoints)));

    public TimeSpan RateInterval => TimeSpan.FromSeconds(Math.Max(Interval.TotalSeconds + ScrapeInterval.TotalSeconds, 4 * ScrapeInterval.TotalSeconds));

    public TimeSpan Range => To - From;
}

/// <summary>
/// Grafana's substitutions: template variables (done by the frontend before a query leaves) and the PostgreSQL
/// datasource's macros (done by its backend), reproduced from Grafana's macro engine so the SQL that runs here is the
/// SQL Grafana would run.
/// </summary>
internal static partial class GrafanaTemplating
{
    /// <summary>$campaign / ${campaign} (a single-value variable: its raw value), $__interval, $__rate_interval, $__range.</summary>
    public static string Variables(string text, string campaign, GrafanaRange range) =>
        VariablePattern().Replace(text, m => m.Groups["name"].Value switch
        {
            "campaign" => campaign,
            "__interval" => Duration(range.Interval),
            "__rate_interval" => Duration(range.RateInterval),
            "__range" => Duration(range.Range),
            var other => throw new InvalidOperationException($"no value for the variable ${other} in: {text}"),
        });

    /// <summary>The PostgreSQL datasource's macros; an unknown macro is an error, as in Grafana.</summary>
    public static string SqlMacros(string sql, DateTimeOffset from, DateTimeOffset to)
    {
        var original = sql;
        return MacroPattern().Replace(sql, m =>
        {
            var name = m.Groups[1].Value;
            // Grafana's compatibility rule: a $__timeGroup directly followed by ',' is the old aliasing form.
            if (name == "__timeGroup")
            {
                var end = original.IndexOf(m.Value, StringComparison.Ordinal) + m.Value.Length;
                if (end < original.Length && original[end] == ',')
                {
                    name = "__timeGroupAlias";
                }
            }
            var args = m.Groups[2].Value.Split(',').Select(a => a.Trim(' ')).ToArray();
            return Macro(name, args, from, to);
        });
    }

    private static string Macro(string name, string[] args, DateTimeOffset from, DateTimeOffset to)
    {
        string Column() => args.Length > 0 && args[0].Length > 0 ? args[0] : throw new FormatException($"missing time column argument for macro {name}");
        switch (name)
        {
            case "__time":
                return $"{Column()} AS \"time\"";
            case "__timeEpoch":
                return $"extract(epoch from {Column()}) as \"time\"";
            case "__timeFilter":
                return $"{Column()} BETWEEN '{Rfc3339(from)}' AND '{Rfc3339(to)}'";
            case "__timeFrom":
                return $"'{Rfc3339(from)}'";
            case "__timeTo":
                return $"'{Rfc3339(to)}'";
            case "__timeGroup":
                var seconds = GroupSeconds(name, args);
                return $"floor(extract(epoch from {args[0]})/{seconds})*{seconds}";
            case "__timeGroupAlias":
                return Macro("__timeGroup", args, from, to) + " AS \"time\"";
            case "__unixEpochFilter":
                return $"{Column()} >= {from.ToUnixTimeSeconds()} AND {Column()} <= {to.ToUnixTimeSeconds()}";
            case "__unixEpochGroup":
                var s = GroupSeconds(name, args);
                return $"floor(({args[0]})/{s})*{s}";
            case "__unixEpochGroupAlias":
                return Macro("__unixEpochGroup", args, from, to) + " AS \"time\"";
            default:
                throw new FormatException($"unknown macro \"{name}\"");
        }
    }

    private static string GroupSeconds(string name, string[] args)
    {
        if (args.Length < 2)
        {
            throw new FormatException($"macro {name} needs time column and interval and optional fill value");
        }
        if (args.Length == 3)
        {
            // Fill modes change how Grafana post-processes rows, which a test of the SQL cannot reproduce.
            throw new NotSupportedException($"macro {name}: fill values are not supported by these tests");
        }
        return Seconds(args[1].Trim('\'')).ToString("R", CultureInfo.InvariantCulture);
    }

    /// <summary>Grafana's interval syntax: a number and one of ms, s, m, h, d, w, y.</summary>
    private static double Seconds(string interval)
    {
        var m = IntervalPattern().Match(interval);
        if (!m.Success)
        {
            throw new FormatException($"error parsing interval {interval}");
        }
        var n = double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
        return m.Groups[2].Value switch
        {
            "ms" => n / 1000,
            "s" => n,
            "m" => n * 60,
            "h" => n * 3600,
            "d" => n * 86400,
            "w" => n * 604800,
            "y" => n * 31536000,
            _ => throw new FormatException($"error parsing interval {interval}"),
        };
    }

    /// <summary>Go's RFC3339Nano in UTC: fraction without trailing zeros, none when whole, and 'Z'.</summary>
    public static string Rfc3339(DateTimeOffset t) =>
        t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'", CultureInfo.InvariantCulture);

    /// <summary>Durations as Grafana writes them into queries: whole seconds.</summary>
    private static string Duration(TimeSpan span) =>
        ((long)Math.Ceiling(span.TotalSeconds)).ToString(CultureInfo.InvariantCulture) + "s";

    [GeneratedRegex(@"\$\{?(?<name>campaign|__rate_interval|__interval|__range)\}?(?![A-Za-z0-9_])")]
    private static partial Regex VariablePattern();

    [GeneratedRegex(@"\$([_a-zA-Z0-9]+)\(([^\)]*)\)")]
    private static partial Regex MacroPattern();

    [GeneratedRegex(@"^([0-9]+(?:\.[0-9]+)?)(ms|s|m|h|d|w|y)$")]
    private static partial Regex IntervalPattern();
}
