namespace FuzzFarm.Telemetry;

/// <summary>Where a silo exposes its metrics. The Prometheus endpoint is on loopback unless asked otherwise.</summary>
public sealed record TelemetryOptions
{
    public const string DefaultHost = "127.0.0.1";
    public const int DefaultPort = 9464;

    public string ServiceInstance { get; init; } = Environment.MachineName;

    /// <summary>
    /// A name or address of this machine, and the one scrapers use: the HttpListener exporter binds to its first
    /// address and answers only requests whose Host header names it (it cannot listen on 0.0.0.0).
    /// </summary>
    public string PrometheusHost { get; init; } = DefaultHost;

    /// <summary>0 disables the Prometheus endpoint.</summary>
    public int PrometheusPort { get; init; } = DefaultPort;

    /// <summary>
    /// When the endpoint was asked for explicitly, failing to listen is an error. The default one gives way (with a
    /// warning): several local silos share a machine and only the first can have the default port.
    /// </summary>
    public bool PrometheusRequired { get; init; }

    public string PrometheusUrl => $"http://{(PrometheusHost.Contains(':', StringComparison.Ordinal) ? $"[{PrometheusHost}]" : PrometheusHost)}:{PrometheusPort}/metrics";
}
