using System.Diagnostics;
using Xunit;

namespace FuzzFarm.Monitoring.Tests;

/// <summary>The deploy files as their own tools read them: promtool for the scrape configs, docker-compose (v1) for the farm.</summary>
public sealed class DeployConfigTests
{
    [RequiresPrometheusFact]
    public async Task PromtoolAcceptsTheComposeScrapeConfig()
    {
        var (exit, output) = await RunAsync("promtool", "check", "config", Path.Combine(RepoPaths.Deploy, "prometheus", "prometheus.yml"));
        Assert.True(exit == 0, output);
        Assert.Contains("SUCCESS", output, StringComparison.Ordinal);
    }

    [RequiresPrometheusFact]
    public async Task PromtoolAcceptsTheLocalScrapeConfigAsPrometheusShWritesIt()
    {
        var folder = Directory.CreateTempSubdirectory("fuzzfarm-promtool-");
        try
        {
            var targets = Path.Combine(folder.FullName, "targets.json");
            await File.WriteAllTextAsync(targets, """[{"targets":["127.0.0.1:9464"],"labels":{"job":"fuzzfarm"}}]""");
            var config = Path.Combine(folder.FullName, "prometheus.yml");
            var template = await File.ReadAllTextAsync(Path.Combine(RepoPaths.Deploy, "prometheus", "prometheus.local.yml"));
            Assert.Contains("@TARGETS_FILE@", template, StringComparison.Ordinal);
            await File.WriteAllTextAsync(config, template.Replace("@TARGETS_FILE@", targets, StringComparison.Ordinal));
            var (exit, output) = await RunAsync("promtool", "check", "config", config);
            Assert.True(exit == 0, output);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    [RequiresPrometheusFact]
    public async Task PromtoolRejectsABrokenConfig()
    {
        // The two tests above mean something only if promtool does fail on a bad file.
        var config = Path.Combine(Path.GetTempPath(), $"fuzzfarm-broken-{Guid.NewGuid():N}.yml");
        await File.WriteAllTextAsync(config, "scrape_configs:\n  - job_name: x\n    scrape_interval: soon\n");
        try
        {
            var (exit, _) = await RunAsync("promtool", "check", "config", config);
            Assert.NotEqual(0, exit);
        }
        finally
        {
            File.Delete(config);
        }
    }

    [Fact]
    public async Task DockerComposeAcceptsTheFarm()
    {
        Assert.True(PrometheusInstance.FindOnPath("docker-compose") is not null,
            "docker-compose (the v1 client) is not installed: apt-get install docker-compose (.ci/run installs it; no Docker engine is needed)");
        var (exit, output) = await RunAsync("docker-compose", "-f", Path.Combine(RepoPaths.Deploy, "docker-compose.yml"), "config", "--services");
        Assert.True(exit == 0, output);
        var services = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Order(StringComparer.Ordinal);
        Assert.Equal(["grafana", "postgres", "prometheus", "silo1", "silo2", "silo3"], services);
    }

    private static async Task<(int Exit, string Output)> RunAsync(string program, params string[] args)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await stdout + await stderr);
    }
}
