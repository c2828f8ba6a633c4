using FuzzFarm.Grains;
using FuzzFarm.Grains.Contracts;
using FuzzFarm.Machine;
using FuzzFarm.Silo.Farm;
using FuzzFarm.Silo.Hosting;
using FuzzFarm.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace FuzzFarm.Silo.Commands;

/// <summary>A client of a running cluster: start, inspect or stop a campaign. It finds the silos through the same PostgreSQL.</summary>
public sealed class CampaignCommand : ICliCommand
{
    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(20);

    public string Name => "campaign";

    public string Usage => "campaign start|status|stop NAME [--profile P] [--machines N] [--minutes N] [--seed S] [--corpus DIR] [--db CS]";

    public async Task<int> RunAsync(CliArgs args, CancellationToken cancellation)
    {
        if (args.Positionals.Count < 2)
        {
            throw new UsageException("expected an action (start, status, stop) and a campaign name");
        }
        var action = args.Positionals[0];
        var name = CampaignOptions.Name(args.Positionals[1]);
        if (action is not ("start" or "status" or "stop"))
        {
            throw new UsageException($"unknown action '{action}': expected start, status or stop");
        }
        var config = action == "start" ? CampaignOptions.Read(args, name, profileRequired: false, defaultMachines: 3) : null;
        var corpusDir = action == "start" ? args.Option("corpus") : null;
        var db = args.Option("db");
        args.EnsureAllConsumed();
        if (args.Positionals.Count > 2)
        {
            throw new UsageException($"unexpected argument '{args.Positionals[2]}'");
        }
        if (!CorpusFolder.TryReadSeeds(corpusDir, Console.Error, out var seeds))
        {
            return 2;
        }

        var (database, connectionString) = await FarmDatabaseOpener.OpenAsync(db, cancellation);
        await using (database)
        {
            using var client = FarmHost.Client(connectionString);
            try
            {
                // The client retries gateways forever by itself: bound it, so "no cluster" is an answer, not a hang.
                using var connect = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
                connect.CancelAfter(ConnectTimeout);
                await client.StartAsync(connect.Token);
            }
            catch (Exception e) when (!cancellation.IsCancellationRequested)
            {
                var reason = e is OperationCanceledException ? $"none answered within {ConnectTimeout.TotalSeconds:0} s" : OneLine.Of(e.Message);
                await Console.Error.WriteLineAsync($"fuzzfarm campaign: no silo reachable through {database.Description}: {reason}");
                return 3;
            }
            try
            {
                var grain = client.Services.GetRequiredService<IClusterClient>().GetGrain<ICampaignGrain>(name);
                CampaignStatus status;
                try
                {
                    status = action switch
                    {
                        "start" => await grain.StartAsync(config),
                        "stop" => await grain.StopAsync(),
                        _ => await grain.GetStatusAsync(),
                    };
                }
                catch (ArgumentException e)
                {
                    throw new UsageException(OneLine.Of(e.Message));
                }
                catch (Exception e) when (e is not UsageException and not OperationCanceledException)
                {
                    // The cluster or its store failed us (not the user's input): one line, exit 3.
                    await Console.Error.WriteLineAsync($"fuzzfarm campaign: {action} {name} failed: {OneLine.Of(e.Message)}");
                    return 3;
                }
                if (status.State == CampaignState.Unknown)
                {
                    await Console.Error.WriteLineAsync($"fuzzfarm campaign: no campaign named '{name}'");
                    return 2;
                }
                if (seeds is not null)
                {
                    try
                    {
                        var seeded = await CorpusSeeder.PushAsync(client.Services.GetRequiredService<IClusterClient>(), name,
                            KernelProfile.Parse(status.Config!.Profile), seeds);
                        await Console.Error.WriteLineAsync(CorpusSeeder.Describe(corpusDir!, seeded));
                    }
                    catch (Exception e) when (e is not OperationCanceledException)
                    {
                        await Console.Error.WriteLineAsync($"fuzzfarm campaign: {name} started, but seeding its corpus from {corpusDir} failed: {OneLine.Of(e.Message)}");
                        return 3;
                    }
                }
                Print(status, await CrashGroupReader.TryListAsync(database, name));
                return 0;
            }
            finally
            {
                await client.StopAsync(CancellationToken.None);
            }
        }
    }

    private static void Print(CampaignStatus status, IReadOnlyList<CrashGroup>? groups)
    {
        var output = Console.Out;
        var c = status.Config!;
        output.WriteLine($"campaign {status.Name}: {status.State.ToString().ToLowerInvariant()}, profile {c.Profile}, {c.Machines} machines, " +
            $"seed {c.Seed}, duration {(c.Duration is { } d ? $"{d.TotalMinutes} min" : "until stopped")}, started {status.StartedAt:u}");
        output.WriteLine($"executions {status.Executions}, coverage {status.CoverageFeatures}, corpus {status.Hub.CorpusSize} " +
            $"(resumed {status.Hub.Resumed}, pruned {status.Hub.Pruned}, corrupt rows {status.Hub.CorruptRows}, redundant pushes {status.Hub.Redundant}), findings {status.Findings}, reports pending {status.PendingReports}");
        output.WriteLine(groups is null ? "crash groups ? (store unavailable)"
            : $"crash groups {groups.Count} ({groups.Count(g => g.TriagedAt is not null)} triaged), " +
              $"violations {groups.Sum(g => g.Seen)} (every one the machines counted, in {groups.Sum(g => g.Hits)} stored reports)");
        foreach (var m in status.Machines)
        {
            output.WriteLine($"  machine {m.Index} on {m.Silo}: {(m.Fuzzing ? "fuzzing" : "idle")}, {m.Executions} executions, " +
                $"coverage {m.CoverageFeatures}, corpus {m.CorpusSize}, findings {m.Findings}, pending {m.PendingReports}");
        }
    }
}
