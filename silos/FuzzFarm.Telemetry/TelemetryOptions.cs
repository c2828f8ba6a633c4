namespace FuzzFarm.Telemetry;

/// <summary>Where a silo exposes its metrics. The Prometheus endpoint is on loopback unless asked otherwise.</summary>
public sealed record TelemetryOptions
{
    public string ServiceInstance { get; init; } = Environment.MachineName;

    public string PrometheusHost { get; init; } = "127.0.0.1";

    /// <summary>0 disables the Prometheus endpoint.</summary>
    public int PrometheusPort { get; init; } = 9464;
}
