using System.Diagnostics;
using System.Globalization;
using FuzzFarm.Fuzzing;
using FuzzFarm.Grains;
using FuzzFarm.Grains.Contracts;
using FuzzFarm.Machine;
using FuzzFarm.Silo.Hosting;
using FuzzFarm.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace FuzzFarm.Bench;

/// <summary>
/// <c>farm [--seconds N] [--machines N] [--profile P] [--db CS]</c>: executions per second of the embedded farm (one
/// silo, N machine grains on grain timers, hub sync, triage, PostgreSQL) against the single-process fuzz loop
/// (<see cref="FuzzSession"/> with N jobs, as <c>fuzzfarm fuzz</c> runs it) on the same cores, each measured over the
/// same window after the same warm-up. Budget: the farm keeps at least 85% of the loop's throughput.
/// </summary>
public static class FarmBenchmark
{
    private const double Budget = 0.85;
    private static readonly TimeSpan WarmUp = TimeSpan.FromSeconds(5);

    public static async Task<int> RunAsync(IReadOnlyList<string> args)
    {
        var seconds = IntOption(args, "--seconds", 20);
        var machines = IntOption(args, "--machines", Environment.ProcessorCount);
        var profileName = Option(args, "--profile") ?? "v5.7";
        var window = TimeSpan.FromSeconds(seconds);

        var loop = BareLoop(KernelProfile.Parse(profileName), machines, window);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"fuzz loop : {loop,12:N0} execs/s  (FuzzSession, {machines} jobs, {Environment.ProcessorCount} cores, {profileName}, {seconds} s after {WarmUp.TotalSeconds} s warm-up)"));

        var farm = await FarmAsync(profileName, machines, window, Option(args, "--db"));
        var ratio = farm / loop;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"farm      : {farm,12:N0} execs/s  ({machines} machine grains, embedded silo)"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"farm/loop : {ratio:P1}  (budget >= {Budget:P0}) {(ratio >= Budget ? "ok" : "OVER BUDGET")}"));
        return ratio >= Budget ? 0 : 1;
    }

    /// <summary>The single-process loop of <c>fuzzfarm fuzz --jobs N</c>: N engines in rounds, sharing new inputs.</summary>
    private static double BareLoop(KernelProfile profile, int engines, TimeSpan window)
    {
        FuzzStatus? warm = null;
        FuzzStatus? last = null;
        var options = new FuzzSessionOptions(profile, 1) { Jobs = engines, Duration = WarmUp + window };
        FuzzSession.Run(options, status =>
        {
            if (warm is null && status.Elapsed >= WarmUp)
            {
                warm = status;
            }
            last = status;
        }, CancellationToken.None);
        return (last!.Executions - warm!.Executions) / (last.Elapsed - warm.Elapsed).TotalSeconds;
    }

    private static async Task<double> FarmAsync(string profile, int machines, TimeSpan window, string? db)
    {
        var connectionString = await ConnectionResolver.ResolveAsync(db, CancellationToken.None);
        await using var database = await FarmDatabase.OpenAsync(connectionString, CancellationToken.None);
        using var host = FarmHost.Embedded(database);
        await host.StartAsync();
        var grains = host.Services.GetRequiredService<IGrainFactory>();
        var name = "bench-" + Guid.NewGuid().ToString("N")[..8];
        var campaign = grains.GetGrain<ICampaignGrain>(name);
        try
        {
            await campaign.StartAsync(new CampaignConfig(profile, machines, null, 1));
            await Task.Delay(WarmUp);
            var first = await MachineExecutionsAsync(grains, name, machines);
            var clock = Stopwatch.StartNew();
            await Task.Delay(window);
            var last = await MachineExecutionsAsync(grains, name, machines);
            return (last - first) / clock.Elapsed.TotalSeconds;
        }
        finally
        {
            await campaign.StopAsync();
            await host.StopAsync();
        }
    }

    /// <summary>Asks the machines directly (the campaign's aggregate is refreshed only once a second).</summary>
    private static async Task<long> MachineExecutionsAsync(IGrainFactory grains, string campaign, int machines)
    {
        var statuses = await Task.WhenAll(Enumerable.Range(0, machines)
            .Select(i => grains.GetGrain<IMachineGrain>(MachineKey.Format(campaign, i)).GetStatusAsync()));
        return statuses.Sum(s => s.Executions);
    }

    private static string? Option(IReadOnlyList<string> args, string name)
    {
        for (var i = 0; i + 1 < args.Count; i++)
        {
            if (args[i] == name)
            {
                return args[i + 1];
            }
        }
        return null;
    }

    private static int IntOption(IReadOnlyList<string> args, string name, int fallback) =>
        Option(args, name) is { } text ? int.Parse(text, CultureInfo.InvariantCulture) : fallback;
}
