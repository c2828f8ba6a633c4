using System.Net;
using FuzzFarm.Silo.Commands;
using FuzzFarm.Telemetry;
using OpenTelemetry.Metrics;

namespace FuzzFarm.Silo.Farm;

/// <summary>
/// <c>--metrics-host H --metrics-port N</c> of the silo commands (<c>run</c>, <c>silo</c>): the silo's Prometheus
/// endpoint, 127.0.0.1:9464 unless given; port 0 turns it off.
/// </summary>
public static class MetricsOptions
{
    public const string Usage = "[--metrics-host H] [--metrics-port N]";

    public static TelemetryOptions Read(CliArgs args)
    {
        var host = args.Option("metrics-host");
        var port = args.LongOption("metrics-port");
        if (port is < 0 or > 65535)
        {
            throw new UsageException($"--metrics-port must be a port number (0 turns the endpoint off), got {port}");
        }
        if (host is not null && IsWildcard(host))
        {
            // The HttpListener exporter binds one address and matches the Host header against this name.
            throw new UsageException(
                $"--metrics-host '{host}': give the name or address Prometheus scrapes (e.g. the pod IP or container hostname); the endpoint cannot listen on every address");
        }
        return new TelemetryOptions
        {
            PrometheusHost = host ?? TelemetryOptions.DefaultHost,
            PrometheusPort = (int)(port ?? TelemetryOptions.DefaultPort),
            PrometheusRequired = host is not null || port is not null,
        };
    }

    /// <summary>Starts the silo's meter provider; dispose it after the host has stopped.</summary>
    public static MeterProvider Start(TelemetryOptions options)
    {
        try
        {
            return TelemetryPipeline.Start(options, Console.Error);
        }
        catch (TelemetryEndpointException e)
        {
            throw new UsageException(e.Message);
        }
    }

    private static bool IsWildcard(string host) =>
        host is "*" or "+" || (IPAddress.TryParse(host.Trim('[', ']'), out var address) && (address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any)));
}
