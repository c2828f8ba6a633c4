using System.Diagnostics;
using FuzzFarm.Grains;
using FuzzFarm.Grains.Contracts;
using FuzzFarm.Machine;
using FuzzFarm.Silo.Farm;
using FuzzFarm.Silo.Hosting;
using FuzzFarm.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace FuzzFarm.Silo.Commands;

/// <summary>
/// The embedded farm: one silo in this process, a campaign on it, a status line on stderr, and a summary of what was
/// found. The campaign (named <c>local-PROFILE</c> unless <c>--campaign</c>) lives in PostgreSQL like any other, so
/// running the command again resumes its corpus and adds to its crash groups.
/// </summary>
public sealed class RunCommand : ICliCommand
{
    private static readonly TimeSpan TriageWait = TimeSpan.FromMinutes(2);

    public string Name => "run";

    public string Usage => "run --profile P [--minutes N] [--machines N] [--seed S] [--campaign NAME] [--corpus DIR] [--db CS] " + MetricsOptions.Usage;

    public async Task<int> RunAsync(CliArgs args, CancellationToken cancellation)
    {
        var profileText = args.RequiredOption("profile");
        var profile = Profiles.Validate(profileText);
        var campaign = args.Option("campaign") is { } named ? CampaignOptions.Name(named) : CampaignOptions.LocalName(profile);
        var config = CampaignOptions.Read(args, campaign, profileRequired: true, defaultMachines: Environment.ProcessorCount)!;
        if (config.Duration is null)
        {
            config = config with { Duration = TimeSpan.FromMinutes(2) };
        }
        var db = args.Option("db");
        var corpusDir = args.Option("corpus");
        var telemetry = MetricsOptions.Read(args);
        args.EnsureAllConsumed();
        if (args.Positionals.Count > 0)
        {
            throw new UsageException($"unexpected argument '{args.Positionals[0]}'");
        }
        if (!CorpusFolder.TryReadSeeds(corpusDir, Console.Error, out var seeds))
        {
            return 2;
        }

        var (database, _) = await FarmDatabaseOpener.OpenAsync(db, cancellation);
        await using (database)
        {
            using var meters = MetricsOptions.Start(telemetry);
            using var host = FarmHost.Embedded(database);
            await host.StartAsync(CancellationToken.None);
            try
            {
                var grains = host.Services.GetRequiredService<IGrainFactory>();
                var grain = grains.GetGrain<ICampaignGrain>(campaign);
                var status = await grain.StartAsync(config);
                if (seeds is not null)
                {
                    var seeded = await CorpusSeeder.PushAsync(grains, campaign, KernelProfile.Parse(status.Config!.Profile), seeds);
                    await Console.Error.WriteLineAsync(CorpusSeeder.Describe(corpusDir!, seeded));
                }
                var final = await WatchAsync(grain, database, status, cancellation);
                await WaitForTriageAsync(database, grains, campaign);
                return await SummarizeAsync(database, final);
            }
            finally
            {
                await host.StopAsync(CancellationToken.None);
            }
        }
    }

    /// <summary>Status line at most once a second until the campaign has stopped and delivered its reports; Ctrl-C stops it early.</summary>
    private static async Task<CampaignStatus> WatchAsync(ICampaignGrain grain, FarmDatabase database, CampaignStatus status, CancellationToken cancellation)
    {
        var clock = Stopwatch.StartNew();
        var line = new StatusLineWriter(Console.Error);
        // Executions per second over the last few seconds: the campaign refreshes its totals once a second.
        var samples = new Queue<(TimeSpan At, long Executions)>();
        var stopRequested = false;
        using var ticker = new PeriodicTimer(TimeSpan.FromSeconds(1));
        while (true)
        {
            if (cancellation.IsCancellationRequested && !stopRequested)
            {
                stopRequested = true;
                status = await grain.StopAsync();
            }
            else
            {
                status = await grain.GetStatusAsync();
            }
            var (groups, triaged, violations) = await CountGroupsAsync(database, status.Name);
            var now = clock.Elapsed;
            samples.Enqueue((now, status.Executions));
            while (samples.Count > 6)
            {
                samples.Dequeue();
            }
            var (oldestAt, oldestExecutions) = samples.Peek();
            var rate = (status.Executions - oldestExecutions) / Math.Max((now - oldestAt).TotalSeconds, 1e-3);
            line.Write(StatusLine.Format(status, now, Math.Max(rate, 0), groups, triaged, violations));
            if (status.State != CampaignState.Running && status.PendingReports == 0)
            {
                line.Finish();
                return status;
            }
            try
            {
                await ticker.WaitForNextTickAsync(cancellation);
            }
            catch (OperationCanceledException)
            {
                // Ctrl-C: the next round stops the campaign and waits for its reports.
            }
        }
    }

    /// <summary>Crash groups, those triaged, and the violations they counted; -1 for all when the store cannot be read.</summary>
    private static async Task<(int Groups, int Triaged, long Violations)> CountGroupsAsync(FarmDatabase database, string campaign) =>
        await CrashGroupReader.TryListAsync(database, campaign) is { } groups
            ? (groups.Count, groups.Count(g => g.TriagedAt is not null), groups.Sum(g => g.Seen))
            : (-1, -1, -1);

    /// <summary>
    /// Until every group has a triaged repro and no triage grain is still minimizing a shorter report (the embedded silo
    /// stops after this, and a triage under way would be lost, leaving the longer repro printed and stored).
    /// </summary>
    private static async Task WaitForTriageAsync(FarmDatabase database, IGrainFactory grains, string campaign)
    {
        var clock = Stopwatch.StartNew();
        var said = "";
        while (clock.Elapsed < TriageWait)
        {
            var (groups, triaged, busy) = await CountTriageAsync(database, grains, campaign);
            if (groups >= 0 && triaged == groups && busy == 0)
            {
                return;
            }
            var progress = groups < 0 ? said : triaged < groups
                ? $"waiting for triage: {triaged}/{groups} crash groups done"
                : $"waiting for triage: a shorter repro of {busy} crash group{(busy == 1 ? "" : "s")}";
            if (progress != said)
            {
                await Console.Error.WriteLineAsync(progress);
                said = progress;
            }
            await Task.Delay(TimeSpan.FromSeconds(1));
        }
    }

    /// <summary>Crash groups, those triaged, and (once all are) their triage grains still at work; all -1 when the store cannot be read.</summary>
    private static async Task<(int Groups, int Triaged, int Busy)> CountTriageAsync(FarmDatabase database, IGrainFactory grains, string campaign)
    {
        if (await CrashGroupReader.TryListAsync(database, campaign) is not { } groups)
        {
            return (-1, -1, -1);
        }
        var triaged = groups.Count(g => g.TriagedAt is not null);
        var busy = 0;
        foreach (var group in triaged == groups.Count ? groups : [])
        {
            busy += await grains.GetGrain<ITriageGrain>(TriageKey.Format(campaign, group.Signature)).BusyAsync() ? 1 : 0;
        }
        return (groups.Count, triaged, busy);
    }

    private static async Task<int> SummarizeAsync(FarmDatabase database, CampaignStatus status)
    {
        var groups = await database.Crashes.ListGroupsAsync(status.Name, CancellationToken.None);
        var output = Console.Out;
        await output.WriteLineAsync(
            $"campaign {status.Name} on {status.Config?.Profile}: {status.Config?.Machines} machines, {status.Executions} executions, " +
            $"coverage {status.CoverageFeatures}, corpus {status.Hub.CorpusSize} (resumed {status.Hub.Resumed}" +
            (status.Hub.Pruned > 0 ? $", {status.Hub.Pruned} stored ones pruned" : "") +
            (status.Hub.CorruptRows > 0 ? $", {status.Hub.CorruptRows} corrupt rows skipped" : "") +
            $"), crash groups {groups.Count}, violations {groups.Sum(g => g.Seen)}");
        await output.WriteLineAsync();
        CrashTables.WriteGroups(output, groups, withCampaign: false);
        if (groups.Count > 0)
        {
            await output.WriteLineAsync();
            CrashTables.WriteMatrix(output, groups, Profiles.NamedInOrder());
            CrashTables.WriteRepros(output, groups);
        }
        return groups.Count > 0 ? 1 : 0;
    }
}
