using System.Collections.Concurrent;
using System.Net;
using System.Text;
using FuzzFarm.Testing;
using Xunit;

namespace FuzzFarm.Monitoring.Tests;

/// <summary>
/// With OTEL_EXPORTER_OTLP_ENDPOINT set, a silo pushes its metrics over OTLP (here http/protobuf to a listener of the
/// test's own, standing in for a collector) besides serving them to Prometheus.
/// </summary>
public sealed class OtlpExportTests(PostgresFixture database) : IClassFixture<PostgresFixture>
{
    [Fact]
    public async Task ASiloPushesTheFarmsMetricsToTheConfiguredOtlpEndpoint()
    {
        var port = CampaignFixture.FreePort();
        using var listener = new HttpListener();
        listener.Prefixes.Add($"http://127.0.0.1:{port}/");
        listener.Start();
        var requests = new ConcurrentQueue<(string Path, string? ContentType, byte[] Body)>();
        var receiving = ReceiveAsync(listener, requests);

        var run = new FuzzfarmProcess();
        var exit = await run.RunAsync(new Dictionary<string, string>
        {
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = $"http://127.0.0.1:{port}",
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
            ["OTEL_METRIC_EXPORT_INTERVAL"] = "500",
            ["OTEL_RESOURCE_ATTRIBUTES"] = "fuzzfarm.test=otlp-export",
        }, "run", "--profile", "v6.15", "--minutes", "0.05", "--machines", "1", "--campaign", "otlp-export",
            "--db", database.ConnectionString, "--metrics-port", "0");
        listener.Stop();
        await receiving;

        Assert.True(exit is 0 or 1, $"exit {exit}:\n{run.Output}");
        Assert.NotEmpty(requests);
        Assert.All(requests, r =>
        {
            Assert.Equal("/v1/metrics", r.Path);
            Assert.Equal("application/x-protobuf", r.ContentType);
        });
        // Protobuf keeps strings as UTF-8 bytes: the instrument names and resource attributes are readable in the payload.
        var payload = string.Join('\n', requests.Select(r => Encoding.UTF8.GetString(r.Body)));
        Assert.Contains("fuzzfarm.executions", payload, StringComparison.Ordinal);
        Assert.Contains("otlp-export", payload, StringComparison.Ordinal);
        Assert.Contains("service.name", payload, StringComparison.Ordinal);
        Assert.Contains("fuzzfarm.test", payload, StringComparison.Ordinal);
    }

    private static async Task ReceiveAsync(HttpListener listener, ConcurrentQueue<(string, string?, byte[])> requests)
    {
        while (listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException)
            {
                return;
            }
            using var body = new MemoryStream();
            await context.Request.InputStream.CopyToAsync(body);
            requests.Enqueue((context.Request.Url!.AbsolutePath, context.Request.ContentType, body.ToArray()));
            // An empty ExportMetricsServiceResponse: success.
            context.Response.StatusCode = 200;
            context.Response.ContentType = "application/x-protobuf";
            context.Response.Close();
        }
    }
}
