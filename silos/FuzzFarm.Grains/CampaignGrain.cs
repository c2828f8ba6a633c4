using FuzzFarm.Grains.Contracts;
using FuzzFarm.Grains.Placement;
using FuzzFarm.Machine;
using FuzzFarm.Storage;
using Microsoft.Extensions.Logging;

namespace FuzzFarm.Grains;

/// <summary>
/// A campaign: its configuration and run window are in PostgreSQL, so whichever silo activates it can carry on. While
/// running, a timer keeps every machine grain running (a machine lost with its silo is re-created on a live one by the
/// call itself), aggregates their counters, samples them into the store, re-starts triage that a lost silo dropped,
/// and stops the campaign when its time is up. It also evens out the machines over the live silos when a silo joins
/// (see <see cref="MachineBalance"/>). After a stop it waits until the machines have delivered every report.
/// </summary>
public sealed partial class CampaignGrain(FarmDatabase database, IClusterMembershipService membership, ILogger<CampaignGrain> log)
    : Grain, ICampaignGrain
{
    public const string RunningStatus = "running";
    public const string StoppedStatus = "stopped";

    private static readonly TimeSpan TickPeriod = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan CallBudget = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan StoreBudget = TimeSpan.FromSeconds(3);
    private const int SampleEveryTicks = 5;
    private const int TriageSweepEveryTicks = 10;

    /// <summary>
    /// Ticks in a row the load must look uneven before machines move: silos' views of a changing cluster differ for a
    /// moment (a silo starting, a dead one's machines coming back elsewhere), and a move costs a machine restart.
    /// </summary>
    private const int UnevenTicksBeforeMove = 5;

    private readonly Dictionary<int, MachineStatus> _machines = [];
    private readonly Dictionary<int, (long Executions, int Findings)> _retired = [];
    /// <summary>Each machine's latest stored sample, until the machine is first heard from by this activation.</summary>
    private readonly Dictionary<int, LatestSample> _restored = [];
    private string _name = "";
    private CampaignRecord? _record;
    private CampaignSchedule? _schedule;
    private HubStatus _hub = HubStatus.Unavailable;
    private bool _stopStored = true;
    private IGrainTimer? _timer;
    private long _ticks;
    private int _unevenTicks;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _name = this.GetPrimaryKeyString();
        var loaded = await TryLoadAsync();
        if (!loaded || _record?.Status == RunningStatus)
        {
            // Not loadable yet (store down) or running: the timer loads, then drives the machines.
            StartTimer();
        }
    }

    public async Task<CampaignStatus> StartAsync(CampaignConfig? config)
    {
        if (!CampaignNames.IsValid(_name))
        {
            throw new ArgumentException($"campaign name '{_name}' is invalid: use {CampaignNames.Describe}");
        }
        using var budget = new CancellationTokenSource(CallBudget * 2);
        var existing = await database.Campaigns.GetAsync(_name, budget.Token);
        var stored = existing is null ? null : await database.GetScheduleAsync(_name, budget.Token);
        var effective = config
            ?? (existing is null
                ? throw new ArgumentException($"no campaign named '{_name}': give a profile to create it")
                : new CampaignConfig(existing.Profile, existing.Machines, stored?.Duration, unchecked((ulong)existing.Seed)));
        Validate(effective);
        var now = DateTimeOffset.UtcNow;
        var record = new CampaignRecord(_name, effective.Profile, effective.Machines, unchecked((long)effective.Seed), RunningStatus,
            existing?.CreatedAt ?? now);
        await database.Campaigns.UpsertAsync(record, budget.Token);
        var schedule = new CampaignSchedule(now, effective.Duration);
        await database.SetScheduleAsync(_name, schedule, budget.Token);
        (_record, _schedule, _stopStored) = (record, schedule, true);
        _machines.Clear();
        _retired.Clear();
        await RestoreTotalsAsync(budget.Token);
        LogStarted(log, _name, effective.Profile, effective.Machines, existing is null ? "created" : "resumed");
        StartTimer();
        await DriveMachinesAsync();
        return Status();
    }

    public async Task<CampaignStatus> StopAsync()
    {
        if (_record is null)
        {
            await TryLoadAsync();
        }
        if (_record is null)
        {
            return Status();
        }
        _record = _record with { Status = StoppedStatus };
        _stopStored = await TryStoreStopAsync();
        await Task.WhenAll(Enumerable.Range(0, _record.Machines).Select(async i =>
        {
            try
            {
                Observe(await Machine(i).StopAsync().WaitAsync(CallBudget));
            }
            catch (Exception e)
            {
                LogMachineUnreachable(log, _name, i, e.Message);
            }
        }));
        try
        {
            await GrainFactory.GetGrain<ICorpusHubGrain>(_name).CloseAsync().WaitAsync(CallBudget);
        }
        catch (Exception e)
        {
            LogHubUnreachable(log, _name, e.Message);
        }
        LogStopped(log, _name);
        StartTimer();
        return Status();
    }

    public async Task<CampaignStatus> GetStatusAsync()
    {
        if (_record is null)
        {
            await TryLoadAsync();
        }
        return Status();
    }

    public Task KeepAliveAsync() => Task.CompletedTask;

    private static void Validate(CampaignConfig config)
    {
        if (config.Machines is < 1 or > 1024)
        {
            throw new ArgumentException($"machines must be between 1 and 1024, got {config.Machines}");
        }
        if (config.Duration is { } d && d <= TimeSpan.Zero)
        {
            throw new ArgumentException("duration must be positive");
        }
        try
        {
            KernelProfile.Parse(config.Profile);
        }
        catch (ProfileException e)
        {
            // Clients see argument errors as their input's fault (exit 2), whatever the machine calls them.
            throw new ArgumentException(e.Message, e);
        }
    }

    private IMachineGrain Machine(int index) => GrainFactory.GetGrain<IMachineGrain>(MachineKey.Format(_name, index));

    private void StartTimer() =>
        _timer ??= this.RegisterGrainTimer(TickAsync, new GrainTimerCreationOptions
        {
            DueTime = TickPeriod,
            Period = TickPeriod,
            KeepAlive = true,
        });

    private async Task TickAsync(CancellationToken cancellation)
    {
        _ticks++;
        if (_record is null)
        {
            if (await TryLoadAsync() && _record is null)
            {
                // No such campaign: nothing to drive.
                StopTimer();
            }
            if (_record is null)
            {
                return;
            }
        }
        if (_record.Status == RunningStatus)
        {
            if (_schedule is { StartedAt: { } started, Duration: { } duration } && DateTimeOffset.UtcNow - started >= duration)
            {
                await StopAsync();
                return;
            }
            await DriveMachinesAsync();
        }
        else
        {
            await PollMachinesWithReportsAsync();
        }
        await RefreshHubAsync();
        if (_ticks % SampleEveryTicks == 0)
        {
            await SampleAsync();
        }
        if (_ticks % TriageSweepEveryTicks == 0)
        {
            await SweepTriageAsync();
        }
        if (!_stopStored)
        {
            _stopStored = await TryStoreStopAsync();
        }
        if (_record.Status == StoppedStatus && _stopStored && PendingReports() == 0 && await AllTriagedAsync())
        {
            StopTimer();
        }
    }

    private void StopTimer()
    {
        _timer?.Dispose();
        _timer = null;
    }

    private async Task DriveMachinesAsync()
    {
        var record = _record!;
        await Task.WhenAll(Enumerable.Range(0, record.Machines).Select(async i =>
        {
            try
            {
                Observe(await Machine(i).EnsureRunningAsync(record.Profile, unchecked((ulong)record.Seed)).WaitAsync(CallBudget));
            }
            catch (Exception e)
            {
                // Its silo may have just died: the next tick's call activates it elsewhere once the cluster knows.
                LogMachineUnreachable(log, _name, i, e.Message);
            }
        }));
        await BalanceMachinesAsync();
    }

    private async Task BalanceMachinesAsync()
    {
        var live = membership.CurrentSnapshot.Members.Values
            .Where(m => m.Status == SiloStatus.Active)
            .ToDictionary(m => m.SiloAddress.ToString(), m => m.SiloAddress, StringComparer.Ordinal);
        var plan = MachineBalance.Plan(_machines.Values.Where(m => m.Fuzzing).Select(m => (m.Index, m.Silo)), live.Keys);
        _unevenTicks = plan.Count == 0 ? 0 : _unevenTicks + 1;
        if (_unevenTicks < UnevenTicksBeforeMove)
        {
            return;
        }
        // Moved machines report their new silo within a tick or two; the count starts again from there.
        _unevenTicks = 0;
        LogBalancing(log, _name, plan.Count, live.Count);
        foreach (var (index, target) in plan)
        {
            try
            {
                await Machine(index).MoveToAsync(live[target]).WaitAsync(CallBudget);
            }
            catch (Exception e)
            {
                LogMachineUnreachable(log, _name, index, e.Message);
            }
        }
    }

    private async Task PollMachinesWithReportsAsync()
    {
        foreach (var index in _machines.Where(m => m.Value.PendingReports > 0).Select(m => m.Key).ToList())
        {
            try
            {
                Observe(await Machine(index).GetStatusAsync().WaitAsync(CallBudget));
            }
            catch (Exception e)
            {
                LogMachineUnreachable(log, _name, index, e.Message);
            }
        }
    }

    /// <summary>
    /// A machine whose incarnation changed was re-created: bank the old incarnation's counters. The first status of a
    /// machine this activation hears of carries on from its latest stored sample: the same incarnation brings back
    /// what was banked then; another one had the whole sample banked (what ran after that sample is not counted).
    /// </summary>
    private void Observe(MachineStatus status)
    {
        if (_machines.TryGetValue(status.Index, out var previous))
        {
            if (previous.Incarnation != status.Incarnation)
            {
                var banked = _retired.GetValueOrDefault(status.Index);
                _retired[status.Index] = (banked.Executions + previous.Executions, banked.Findings + previous.Findings);
            }
        }
        else if (_restored.Remove(status.Index, out var last))
        {
            _retired[status.Index] = last.Origin is { } origin && origin.Incarnation == status.Incarnation
                ? (origin.BankedExecutions, Count(origin.BankedViolations))
                : (last.Executions, Count(last.Violations));
        }
        _machines[status.Index] = status;

        static int Count(long violations) => (int)Math.Min(violations, int.MaxValue);
    }

    /// <summary>Reads back each machine's latest sample; without the store the totals start again from the machines.</summary>
    private async Task RestoreTotalsAsync(CancellationToken ct)
    {
        _restored.Clear();
        try
        {
            foreach (var sample in await database.Stats.LatestPerMachineAsync(_name, ct))
            {
                _restored[sample.Machine] = sample;
            }
        }
        catch (Exception e)
        {
            LogStoreUnavailable(log, _name, "totals restore", e.Message);
        }
    }

    private int PendingReports() => _machines.Values.Sum(m => m.PendingReports);

    private async Task RefreshHubAsync()
    {
        try
        {
            _hub = await GrainFactory.GetGrain<ICorpusHubGrain>(_name).GetStatusAsync().WaitAsync(CallBudget);
        }
        catch (Exception e)
        {
            LogHubUnreachable(log, _name, e.Message);
        }
    }

    private async Task SampleAsync()
    {
        try
        {
            using var budget = new CancellationTokenSource(StoreBudget);
            var now = DateTimeOffset.UtcNow;
            foreach (var m in _machines.Values)
            {
                var banked = _retired.GetValueOrDefault(m.Index);
                await database.Stats.AddSampleAsync(_name, m.Silo, m.Index, now, banked.Executions + m.Executions, m.CoverageFeatures,
                    _hub.CorpusSize, banked.Findings + m.Findings, new SampleOrigin(m.Incarnation, banked.Executions, banked.Findings), budget.Token);
            }
        }
        catch (Exception e)
        {
            // Samples feed graphs only: a gap while the store is down is acceptable.
            LogStoreUnavailable(log, _name, "stat sample", e.Message);
        }
    }

    private async Task SweepTriageAsync()
    {
        try
        {
            using var budget = new CancellationTokenSource(StoreBudget);
            var groups = await database.Crashes.ListGroupsAsync(_name, budget.Token);
            foreach (var group in groups.Where(g => g.TriagedAt is null))
            {
                await GrainFactory.GetGrain<ITriageGrain>(TriageKey.Format(_name, group.Signature)).EnsureTriagedAsync().WaitAsync(CallBudget);
            }
        }
        catch (Exception e)
        {
            LogStoreUnavailable(log, _name, "triage sweep", e.Message);
        }
    }

    private async Task<bool> AllTriagedAsync()
    {
        try
        {
            using var budget = new CancellationTokenSource(StoreBudget);
            return (await database.Crashes.ListGroupsAsync(_name, budget.Token)).All(g => g.TriagedAt is not null);
        }
        catch (Exception)
        {
            return false;
        }
    }

    /// <summary>False when the store could not be read (as opposed to: read, and no such campaign).</summary>
    private async Task<bool> TryLoadAsync()
    {
        try
        {
            using var budget = new CancellationTokenSource(StoreBudget);
            _record = await database.Campaigns.GetAsync(_name, budget.Token);
            _schedule = _record is null ? null : await database.GetScheduleAsync(_name, budget.Token);
            if (_record is not null && _machines.Count == 0)
            {
                await RestoreTotalsAsync(budget.Token);
            }
            return true;
        }
        catch (Exception e)
        {
            LogStoreUnavailable(log, _name, "load", e.Message);
            return false;
        }
    }

    private async Task<bool> TryStoreStopAsync()
    {
        try
        {
            using var budget = new CancellationTokenSource(StoreBudget);
            await database.Campaigns.SetStatusAsync(_name, StoppedStatus, budget.Token);
            return true;
        }
        catch (Exception e)
        {
            LogStoreUnavailable(log, _name, "stop", e.Message);
            return false;
        }
    }

    private CampaignStatus Status()
    {
        if (_record is null)
        {
            return new CampaignStatus(_name, CampaignState.Unknown, null, null, 0, 0, _hub, Array.Empty<MachineStatus>(), 0, 0);
        }
        var config = new CampaignConfig(_record.Profile, _record.Machines, _schedule?.Duration, unchecked((ulong)_record.Seed));
        var state = _record.Status == RunningStatus ? CampaignState.Running : CampaignState.Stopped;
        var machines = _machines.Values.OrderBy(m => m.Index).ToList();
        return new CampaignStatus(
            _name, state, config, _schedule?.StartedAt,
            _retired.Values.Sum(r => r.Executions) + machines.Sum(m => m.Executions),
            machines.Count == 0 ? 0 : machines.Max(m => m.CoverageFeatures),
            _hub, machines,
            _retired.Values.Sum(r => r.Findings) + machines.Sum(m => m.Findings),
            PendingReports());
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "campaign {Campaign} {How}: profile {Profile}, {Machines} machines")]
    private static partial void LogStarted(ILogger logger, string campaign, string profile, int machines, string how);

    [LoggerMessage(Level = LogLevel.Information, Message = "campaign {Campaign} stopped")]
    private static partial void LogStopped(ILogger logger, string campaign);

    [LoggerMessage(Level = LogLevel.Information, Message = "campaign {Campaign}: moving {Moves} machines to even out {Silos} silos")]
    private static partial void LogBalancing(ILogger logger, string campaign, int moves, int silos);

    [LoggerMessage(Level = LogLevel.Warning, Message = "campaign {Campaign}: machine {Index} unreachable, will retry: {Reason}")]
    private static partial void LogMachineUnreachable(ILogger logger, string campaign, int index, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "campaign {Campaign}: corpus hub unreachable: {Reason}")]
    private static partial void LogHubUnreachable(ILogger logger, string campaign, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "campaign {Campaign}: {Operation} failed, will retry: {Reason}")]
    private static partial void LogStoreUnavailable(ILogger logger, string campaign, string operation, string reason);
}
