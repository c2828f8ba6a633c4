using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;

namespace FuzzFarm.Telemetry;

/// <summary>
/// The meter provider of one silo: FuzzFarm's meter, Orleans' meter and the .NET runtime, exported on a Prometheus
/// endpoint and, when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set, over OTLP. This is the setup Grafana.OpenTelemetry
/// would give (it is not on our package mirror): standard OTEL_* variables, service and host resource attributes.
/// </summary>
public static class TelemetryPipeline
{
    public const string OrleansMeter = "Microsoft.Orleans";

    /// <summary>
    /// Starts exporting. A default endpoint that cannot listen is left out with one line on <paramref name="warnings"/>;
    /// a required one throws <see cref="TelemetryEndpointException"/>.
    /// </summary>
    public static MeterProvider Start(TelemetryOptions options, TextWriter warnings)
    {
        if (options.PrometheusPort <= 0)
        {
            return Build(options, withPrometheus: false);
        }
        try
        {
            return Build(options, withPrometheus: true);
        }
        catch (InvalidOperationException e)
        {
            var reason = $"metrics endpoint {options.PrometheusUrl} cannot listen: {e.InnerException?.Message ?? e.Message}";
            if (options.PrometheusRequired)
            {
                throw new TelemetryEndpointException(reason, e);
            }
            warnings.WriteLine($"warning: {reason}; continuing without it (choose one with --metrics-port)");
            return Build(options, withPrometheus: false);
        }
    }

    private static MeterProvider Build(TelemetryOptions options, bool withPrometheus)
    {
        var resource = ResourceBuilder.CreateDefault()
            .AddService("fuzzfarm", serviceVersion: typeof(TelemetryPipeline).Assembly.GetName().Version?.ToString(),
                serviceInstanceId: options.ServiceInstance)
            .AddAttributes(
            [
                new("deployment.environment.name", Environment.GetEnvironmentVariable("FUZZFARM_ENVIRONMENT") ?? "local"),
                new("host.name", Environment.MachineName),
                new("process.pid", Environment.ProcessId),
            ])
            .AddEnvironmentVariableDetector();

        var builder = Sdk.CreateMeterProviderBuilder()
            .SetResourceBuilder(resource)
            .AddMeter(FarmMetrics.MeterName, OrleansMeter)
            .AddRuntimeInstrumentation();
        if (withPrometheus)
        {
            builder.AddPrometheusHttpListener(o =>
            {
                o.Host = options.PrometheusHost;
                o.Port = options.PrometheusPort;
            });
        }
        if (!string.IsNullOrEmpty(Environment.GetEnvironmentVariable("OTEL_EXPORTER_OTLP_ENDPOINT")))
        {
            // The exporter reads endpoint, protocol and headers from the standard OTEL_EXPORTER_OTLP_* variables.
            builder.AddOtlpExporter();
        }
        return builder.Build();
    }
}
