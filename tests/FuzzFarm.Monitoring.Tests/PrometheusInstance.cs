using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace FuzzFarm.Monitoring.Tests;

/// <summary>
/// A private Prometheus started by deploy/local/prometheus.sh (its own port and state folder, the local scrape config)
/// and its HTTP API: the queries Grafana would send.
/// </summary>
internal sealed partial class PrometheusInstance : IAsyncDisposable
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(30) };
    private readonly string _state;
    private readonly int _port;

    private PrometheusInstance(string state, int port, Uri url)
    {
        _state = state;
        _port = port;
        Url = url;
    }

    public Uri Url { get; }

    public static string Script => Path.Combine(RepoPaths.Deploy, "local", "prometheus.sh");

    public static bool Installed => FindOnPath("prometheus") is not null && FindOnPath("promtool") is not null;

    /// <summary>The scrape interval of the local config: the minimum interval of Grafana's variables.</summary>
    public static TimeSpan ScrapeInterval
    {
        get
        {
            var config = File.ReadAllText(Path.Combine(RepoPaths.Deploy, "prometheus", "prometheus.local.yml"));
            var m = ScrapeIntervalPattern().Match(config);
            return m.Success
                ? TimeSpan.FromSeconds(int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture))
                : throw new FormatException("prometheus.local.yml: no scrape_interval in whole seconds");
        }
    }

    public static string? FindOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, name))
            .FirstOrDefault(File.Exists);

    public static async Task<PrometheusInstance> StartAsync(int port, params string[] targets)
    {
        var state = Path.Combine(Path.GetTempPath(), $"fuzzfarm-prom-{Guid.NewGuid():N}");
        var output = await ScriptAsync(state, port, ["start", .. targets]);
        return new PrometheusInstance(state, port, new Uri(output.Trim()));
    }

    /// <summary>A range query as a time-series panel sends it; the matrix's series.</summary>
    public Task<JsonArray> QueryRangeAsync(string expr, DateTimeOffset from, DateTimeOffset to, TimeSpan step) =>
        ApiAsync("query_range", new()
        {
            ["query"] = expr,
            ["start"] = Seconds(from),
            ["end"] = Seconds(to),
            ["step"] = step.TotalSeconds.ToString(CultureInfo.InvariantCulture),
        });

    /// <summary>An instant query as a stat panel sends it; the vector's samples.</summary>
    public Task<JsonArray> QueryAsync(string expr, DateTimeOffset at) =>
        ApiAsync("query", new() { ["query"] = expr, ["time"] = Seconds(at) });

    /// <summary>What Grafana's label_values(metric, label) asks: the label's values on the metric's series in the range.</summary>
    public async Task<IReadOnlyList<string>> LabelValuesAsync(string label, string match, DateTimeOffset from, DateTimeOffset to)
    {
        var url = $"api/v1/label/{Uri.EscapeDataString(label)}/values?match[]={Uri.EscapeDataString(match)}&start={Seconds(from)}&end={Seconds(to)}";
        var body = await GetJsonAsync(new Uri(Url, url));
        return body["data"]!.AsArray().Select(v => (string)v!).ToList();
    }

    public async ValueTask DisposeAsync()
    {
        await ScriptAsync(_state, _port, ["stop"]);
        try
        {
            Directory.Delete(_state, recursive: true);
        }
        catch (IOException)
        {
            // Prometheus may still be closing its files; a leftover temporary folder is harmless.
        }
    }

    private async Task<JsonArray> ApiAsync(string endpoint, Dictionary<string, string> form)
    {
        using var content = new FormUrlEncodedContent(form);
        using var response = await Http.PostAsync(new Uri(Url, $"api/v1/{endpoint}"), content);
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();
        if ((string?)body["status"] != "success")
        {
            throw new InvalidOperationException($"Prometheus {endpoint}: {(string?)body["errorType"]}: {(string?)body["error"]}");
        }
        return body["data"]!["result"]!.AsArray();
    }

    private static async Task<JsonObject> GetJsonAsync(Uri url)
    {
        using var response = await Http.GetAsync(url);
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();
        return (string?)body["status"] == "success"
            ? body
            : throw new InvalidOperationException($"Prometheus {url.AbsolutePath}: {(string?)body["error"]}");
    }

    private static string Seconds(DateTimeOffset t) =>
        (t.ToUnixTimeMilliseconds() / 1000.0).ToString("0.000", CultureInfo.InvariantCulture);

    private static async Task<string> ScriptAsync(string state, int port, string[] args)
    {
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Script);
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }
        start.Environment["FUZZFARM_PROM_RUN"] = state;
        start.Environment["FUZZFARM_PROM_PORT"] = port.ToString(CultureInfo.InvariantCulture);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return process.ExitCode == 0
            ? await stdout
            : throw new InvalidOperationException($"prometheus.sh {string.Join(' ', args)} failed (exit {process.ExitCode}): {await stderr}");
    }

    [GeneratedRegex(@"(?m)^\s*scrape_interval:\s*([0-9]+)s\s*$")]
    private static partial Regex ScrapeIntervalPattern();
}
