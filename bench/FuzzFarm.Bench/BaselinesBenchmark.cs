using System.Diagnostics;
using System.Globalization;
using FuzzFarm.Fuzzing;
using FuzzFarm.Grains;
using FuzzFarm.Grains.Contracts;
using FuzzFarm.Machine;
using FuzzFarm.Oracle;
using FuzzFarm.Silo.Hosting;
using FuzzFarm.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace FuzzFarm.Bench;

/// <summary>
/// The .NET side of <c>bench/report.sh</c>, which puts these figures beside AFL++'s:
/// <list type="bullet">
/// <item><c>baselines targets [--seeds DIR]</c>: one tab-separated line per target: the seeds' names, the oldest profile
/// they must violate, and the signature they show there (replayed, so a seed header still saying TBD works).</item>
/// <item><c>baselines find --engine guided|blind|farm --profile P --signature SIG --seed N --seconds CAP [--machines N] [--db CS]</c>:
/// runs until the signature is first seen or the cap; prints one <c>key=value</c> line.</item>
/// <item><c>baselines scaling --profile P --seconds N [--no-farm] [--db CS]</c>: executions/s of the single-process
/// fuzzer with 1 and 2 jobs and of the embedded farm with 1 and 2 machines.</item>
/// </list>
/// </summary>
public static class BaselinesBenchmark
{
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan FarmWarmUp = TimeSpan.FromSeconds(3);

    public static async Task<int> RunAsync(IReadOnlyList<string> args)
    {
        try
        {
            return await RunCheckedAsync(args);
        }
        catch (Exception e) when (e is UsageException or FormatException or ProfileException)
        {
            await Console.Error.WriteLineAsync($"baselines: {e.Message}");
            return 2;
        }
    }

    private static async Task<int> RunCheckedAsync(IReadOnlyList<string> args)
    {
        var options = new Options(args.Skip(1).ToArray());
        switch (args.Count > 0 ? args[0] : "")
        {
            case "targets":
                return Targets(options.Get("--seeds") ?? Path.Combine("corpus", "seeds"));
            case "find":
                var engine = options.Get("--engine");
                var cap = TimeSpan.FromSeconds(options.Int("--seconds", 30));
                var profile = options.Required("--profile");
                var signature = options.Required("--signature");
                var seed = options.Int("--seed", 1);
                var found = engine switch
                {
                    "guided" or "blind" => FindWithEngine(engine == "blind", KernelProfile.Parse(profile), signature, (ulong)seed, cap),
                    "farm" => await FindWithFarmAsync(profile, signature, seed, options.Int("--machines", Environment.ProcessorCount), cap, options.Get("--db")),
                    _ => null,
                };
                if (found is null)
                {
                    throw new UsageException($"find: --engine must be guided, blind or farm, got '{engine}'");
                }
                Console.WriteLine(found.Format(engine!, profile, seed));
                return 0;
            case "scaling":
                await ScalingAsync(options.Required("--profile"), TimeSpan.FromSeconds(options.Int("--seconds", 10)), !options.Has("--no-farm"), options.Get("--db"));
                return 0;
            default:
                await Console.Error.WriteLineAsync("usage: baselines targets|find|scaling [options] (see BaselinesBenchmark.cs)");
                return 2;
        }
    }

    /// <summary>Seeds that show the same signature on the same profile are one target, named after all of them.</summary>
    private static int Targets(string folder)
    {
        var executor = new Executor();
        var targets = new List<(string Profile, string Signature, List<string> Seeds)>();
        foreach (var seed in SeedFile.LoadFolder(folder))
        {
            if (seed.Violates.Count == 0)
            {
                continue;
            }
            var profile = KernelProfile.Parse(seed.Violates[0]);
            var violations = executor.Run(seed.Program, profile).Violations;
            var shown = violations.FirstOrDefault(v => v.Signature == seed.Signature) ?? (violations.Count > 0 ? violations[0] : null);
            if (shown is null)
            {
                Console.Error.WriteLine($"baselines targets: {seed.Name} does not violate on {profile.Name}, its first 'violates' profile");
                return 1;
            }
            var same = targets.FindIndex(t => t.Profile == profile.Name && t.Signature == shown.Signature);
            if (same >= 0)
            {
                targets[same].Seeds.Add(seed.Name);
            }
            else
            {
                targets.Add((profile.Name, shown.Signature, [seed.Name]));
            }
        }
        foreach (var (profile, signature, seeds) in targets)
        {
            Console.WriteLine($"{string.Join(',', seeds)}\t{profile}\t{signature}");
        }
        return 0;
    }

    private static Found FindWithEngine(bool blind, KernelProfile profile, string signature, ulong seed, TimeSpan cap)
    {
        var engine = new FuzzEngine(profile, seed, blind ? FuzzOptions.Blind : null);
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < cap)
        {
            engine.RunBatch(200);
            if (engine.FirstSeen.TryGetValue(signature, out var at))
            {
                return new Found(clock.Elapsed, at, engine.Executions, clock.Elapsed, engine.MachineErrors.Count);
            }
        }
        return new Found(null, null, engine.Executions, clock.Elapsed, engine.MachineErrors.Count);
    }

    /// <summary>
    /// The embedded farm (one silo, N machine grains, hub, triage, PostgreSQL) until the signature's crash group
    /// appears in the database. The execution count at the find is the machines' total when it was seen (polled).
    /// </summary>
    private static async Task<Found> FindWithFarmAsync(string profile, string signature, long seed, int machines, TimeSpan cap, string? db)
    {
        return await WithFarmAsync(db, async (grains, database) =>
        {
            var name = "baseline-" + Guid.NewGuid().ToString("N")[..8];
            var campaign = grains.GetGrain<ICampaignGrain>(name);
            var clock = Stopwatch.StartNew();
            await campaign.StartAsync(new CampaignConfig(profile, machines, null, (ulong)seed));
            try
            {
                while (clock.Elapsed < cap)
                {
                    await Task.Delay(Poll);
                    var groups = await database.Crashes.ListGroupsAsync(name, CancellationToken.None);
                    if (groups.Any(g => g.Signature == signature))
                    {
                        var at = clock.Elapsed;
                        var executions = await MachineExecutionsAsync(grains, name, machines);
                        return new Found(at, executions, executions, at, 0);
                    }
                }
                return new Found(null, null, await MachineExecutionsAsync(grains, name, machines), clock.Elapsed, 0);
            }
            finally
            {
                await campaign.StopAsync();
            }
        });
    }

    private static async Task ScalingAsync(string profileName, TimeSpan window, bool farm, string? db)
    {
        var profile = KernelProfile.Parse(profileName);
        foreach (var jobs in new[] { 1, 2 })
        {
            var result = FuzzSession.Run(new FuzzSessionOptions(profile, 1) { Jobs = jobs, Duration = window, RoundExecutions = 2000 }, null, CancellationToken.None);
            Console.WriteLine(Line($"engine=fuzz jobs={jobs} profile={profileName} execs={result.Executions} seconds={result.Elapsed.TotalSeconds:F1} execs_per_sec={result.Executions / result.Elapsed.TotalSeconds:F0}"));
        }
        foreach (var machines in farm ? new[] { 1, 2 } : [])
        {
            try
            {
                var (executions, elapsed) = await FarmRateAsync(profileName, machines, window, db);
                Console.WriteLine(Line($"engine=farm jobs={machines} profile={profileName} execs={executions} seconds={elapsed.TotalSeconds:F1} execs_per_sec={executions / elapsed.TotalSeconds:F0}"));
            }
            catch (Exception e) when (e is TimeoutException or OrleansException or OperationCanceledException)
            {
                // An overloaded machine can time out grain calls: that run has no figure, the others still do.
                await Console.Error.WriteLineAsync($"baselines scaling: the farm with {machines} machine(s) failed: {e.Message}");
            }
        }
    }

    private static Task<(long Executions, TimeSpan Elapsed)> FarmRateAsync(string profile, int machines, TimeSpan window, string? db) =>
        WithFarmAsync(db, async (grains, _) =>
        {
            var name = "scaling-" + Guid.NewGuid().ToString("N")[..8];
            var campaign = grains.GetGrain<ICampaignGrain>(name);
            await campaign.StartAsync(new CampaignConfig(profile, machines, null, 1));
            try
            {
                await Task.Delay(FarmWarmUp);
                var first = await MachineExecutionsAsync(grains, name, machines);
                var clock = Stopwatch.StartNew();
                await Task.Delay(window);
                return (await MachineExecutionsAsync(grains, name, machines) - first, clock.Elapsed);
            }
            finally
            {
                await campaign.StopAsync();
            }
        });

    private static async Task<T> WithFarmAsync<T>(string? db, Func<IGrainFactory, FarmDatabase, Task<T>> body)
    {
        var connectionString = await ConnectionResolver.ResolveAsync(db, CancellationToken.None);
        await using var database = await FarmDatabase.OpenAsync(connectionString, CancellationToken.None);
        using var host = FarmHost.Embedded(database);
        await host.StartAsync();
        try
        {
            return await body(host.Services.GetRequiredService<IGrainFactory>(), database);
        }
        finally
        {
            await host.StopAsync();
        }
    }

    private static async Task<long> MachineExecutionsAsync(IGrainFactory grains, string campaign, int machines)
    {
        var statuses = await Task.WhenAll(Enumerable.Range(0, machines)
            .Select(i => grains.GetGrain<IMachineGrain>(MachineKey.Format(campaign, i)).GetStatusAsync()));
        return statuses.Sum(s => s.Executions);
    }

    private static string Line(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    /// <summary>
    /// One measurement; <see cref="FirstAt"/> and <see cref="FirstExecution"/> are null when the cap ran out.
    /// <see cref="MachineErrors"/>: distinct places where the machine threw (the engine skips those programs).
    /// </summary>
    private sealed record Found(TimeSpan? FirstAt, long? FirstExecution, long Executions, TimeSpan Elapsed, int MachineErrors)
    {
        public string Format(string engine, string profile, long seed) => Line(
            $"engine={engine} profile={profile} seed={seed} found={(FirstAt is null ? "no" : "yes")} first_ms={(FirstAt is { } t ? ((long)t.TotalMilliseconds).ToString(CultureInfo.InvariantCulture) : "-")} first_execs={(FirstExecution is { } e ? e.ToString(CultureInfo.InvariantCulture) : "-")} execs={Executions} seconds={Elapsed.TotalSeconds:F1} execs_per_sec={Executions / Math.Max(Elapsed.TotalSeconds, 1e-3):F0} machine_errors={MachineErrors}");
    }

    private sealed class UsageException(string message) : Exception(message);

    private sealed class Options(string[] args)
    {
        public string? Get(string name)
        {
            var i = Array.IndexOf(args, name);
            return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
        }

        public bool Has(string name) => args.Contains(name);

        public string Required(string name) => Get(name) ?? throw new UsageException($"{name} is required");

        public int Int(string name, int fallback) =>
            Get(name) is { } text ? int.Parse(text, CultureInfo.InvariantCulture) : fallback;
    }
}
