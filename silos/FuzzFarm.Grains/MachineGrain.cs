using System.Diagnostics;
using FuzzFarm.Fuzzing;
using FuzzFarm.Grains.Contracts;
using FuzzFarm.Grains.Placement;
using FuzzFarm.Machine;
using FuzzFarm.Programs;
using FuzzFarm.Storage;
using FuzzFarm.Telemetry;
using Microsoft.Extensions.Logging;
using Orleans.Runtime.Placement;

namespace FuzzFarm.Grains;

/// <summary>
/// One simulated machine: a <see cref="FuzzEngine"/> driven in slices of about <see cref="SliceBudget"/> on a grain
/// timer, so the grain (and the silo) keeps answering between slices. A second timer syncs the local corpus with the
/// campaign's hub and delivers violation reports to triage, retrying until each one is stored.
/// Nothing here must survive the silo: the corpus is in the hub (and PostgreSQL), a report counts as made once triage
/// acknowledged it stored, and report ids come from the content, so the re-activation of a machine elsewhere (same
/// seed) that re-finds a program reports it under the same id and the store counts it once. The same holds when the
/// campaign moves a machine to even out the silos' load: it delivers its reports and starts again there.
/// </summary>
[SpreadByIndexPlacement]
public sealed partial class MachineGrain(ILocalSiloDetails here, FarmDatabase database, ILogger<MachineGrain> log) : Grain, IMachineGrain
{
    private static readonly TimeSpan SliceBudget = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan SyncPeriod = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan ReportBudget = TimeSpan.FromSeconds(4);

    /// <summary>
    /// The campaign calls every machine each second. A machine not called for this long is an orphan — typically a
    /// duplicate activation left behind when a silo died with the grain directory's entry for it — so it stops.
    /// </summary>
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(20);
    private const int FirstBatch = 32;

    private readonly Guid _incarnation = Guid.NewGuid();
    private readonly Stopwatch _sinceDriven = Stopwatch.StartNew();
    private readonly List<CorpusProgram> _toPush = [];
    private readonly HashSet<string> _known = new(StringComparer.Ordinal);
    private readonly List<ViolationReport> _pendingReports = [];
    // Per signature, the running total of violations this incarnation has had stored (see DeliverSeenAsync).
    private readonly Dictionary<string, long> _seenStored = new(StringComparer.Ordinal);
    private string _campaign = "";
    private int _index;
    private string _profileName = "";
    private FuzzEngine? _engine;
    private IGrainTimer? _fuzzTimer;
    private IGrainTimer? _syncTimer;
    private int _batchSize = FirstBatch;
    private int _hubCursor;
    private Guid _hubEpoch;
    private int _findings;
    private bool _stopping;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        (_campaign, _index) = MachineKey.Parse(this.GetPrimaryKeyString());
        return Task.CompletedTask;
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        // Deactivated mid-loop (silo shutting down, idle collection, or Orleans dropping a duplicate activation after a
        // silo died): the machine no longer runs here, and reports not yet acknowledged would die with it.
        if (_fuzzTimer is not null)
        {
            FarmMetrics.RecordMachineStopped(_campaign, _profileName, RuntimeIdentity, _index.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
        _stopping = true;
        while (_pendingReports.Count > 0 && !cancellationToken.IsCancellationRequested)
        {
            var before = _pendingReports.Count;
            await DeliverReportsAsync();
            if (_pendingReports.Count == before)
            {
                try
                {
                    await Task.Delay(SyncPeriod, cancellationToken);
                }
                catch (OperationCanceledException)
                {
                    // Out of time: what is left is lost with this activation, as with a hard kill.
                    break;
                }
            }
        }
    }

    public Task<MachineStatus> EnsureRunningAsync(string profile, ulong seed)
    {
        _sinceDriven.Restart();
        _stopping = false;
        if (_engine is null)
        {
            _profileName = profile;
            _engine = new FuzzEngine(KernelProfile.Parse(profile), MachineSeeds.For(seed, _index));
            LogStarted(log, _campaign, _index, RuntimeIdentity);
        }
        if (_fuzzTimer is null)
        {
            FarmMetrics.RecordMachineStarted(RuntimeIdentity);
        }
        _fuzzTimer ??= this.RegisterGrainTimer(FuzzSliceAsync, new GrainTimerCreationOptions
        {
            DueTime = TimeSpan.Zero,
            Period = TimeSpan.FromMilliseconds(1),
            KeepAlive = true,
        });
        _syncTimer ??= this.RegisterGrainTimer(SyncAsync, new GrainTimerCreationOptions
        {
            DueTime = TimeSpan.Zero,
            Period = SyncPeriod,
            KeepAlive = true,
        });
        return Task.FromResult(Status());
    }

    public Task<MachineStatus> StopAsync() => StopFuzzingAsync();

    private async Task<MachineStatus> StopFuzzingAsync()
    {
        _stopping = true;
        if (_fuzzTimer is not null)
        {
            FarmMetrics.RecordMachineStopped(_campaign, _profileName, RuntimeIdentity, _index.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
        _fuzzTimer?.Dispose();
        _fuzzTimer = null;
        await DeliverReportsAsync();
        if (_pendingReports.Count == 0)
        {
            await DeliverSeenAsync();
            FinishIfDone();
        }
        return Status();
    }

    public Task<MachineStatus> GetStatusAsync() => Task.FromResult(Status());

    public Task MoveToAsync(SiloAddress target)
    {
        if (_fuzzTimer is null || _stopping || target.Equals(here.SiloAddress))
        {
            return Task.CompletedTask;
        }
        LogMoving(log, _campaign, _index, RuntimeIdentity, target);
        // Migration hands the request context to placement, which takes the hint as the new home.
        RequestContext.Set(IPlacementDirector.PlacementHintKey, target);
        this.MigrateOnIdle();
        RequestContext.Remove(IPlacementDirector.PlacementHintKey);
        return Task.CompletedTask;
    }

    private MachineStatus Status() => new(
        _index, RuntimeIdentity, _fuzzTimer is not null, _engine?.Executions ?? 0, _engine?.CoverageFeatures ?? 0,
        _engine?.CorpusSize ?? 0, _findings, _pendingReports.Count, _incarnation);

    private Task FuzzSliceAsync(CancellationToken cancellation)
    {
        if (_engine is null || _stopping)
        {
            return Task.CompletedTask;
        }
        var clock = Stopwatch.StartNew();
        long executed = 0;
        // Batches grow until one takes about a tenth of the slice: few clock reads, and the slice ends on time.
        while (clock.Elapsed < SliceBudget && !cancellation.IsCancellationRequested)
        {
            var started = clock.Elapsed;
            var batch = _engine.RunBatch(_batchSize);
            executed += batch.Executions;
            Absorb(batch);
            if (clock.Elapsed - started < SliceBudget / 10)
            {
                _batchSize = Math.Min(_batchSize * 2, 1 << 16);
            }
        }
        FarmMetrics.RecordBatch(_campaign, _profileName, RuntimeIdentity, _index.ToString(System.Globalization.CultureInfo.InvariantCulture),
            executed, executed / Math.Max(clock.Elapsed.TotalSeconds, 1e-6), _engine.CoverageFeatures);
        return Task.CompletedTask;
    }

    private void Absorb(BatchResult batch)
    {
        foreach (var input in batch.NewInputs)
        {
            if (_known.Add(CorpusHashes.Of(input.ProgramText)))
            {
                _toPush.Add(new CorpusProgram(input.ProgramText, input.NewFeatures, input.Features));
            }
        }
        if (batch.RejectedMutants > 0)
        {
            FarmMetrics.RecordRejectedMutants(_campaign, _profileName, batch.RejectedMutants);
        }
        foreach (var error in batch.MachineErrors)
        {
            FarmMetrics.RecordMachineError(_campaign, _profileName, error.Exception);
            LogMachineError(log, _campaign, _index, error.Exception, error.Message, error.Site, error.ProgramText);
        }
        foreach (var violations in batch.Violations)
        {
            FarmMetrics.RecordViolations(_campaign, _profileName, violations.Kind, violations.Signature, violations.Count);
        }
        foreach (var finding in batch.Findings)
        {
            _findings++;
            var report = Queue(finding);
            LogFound(log, report.ReportId, _campaign, _index, finding.Signature);
        }
        // Not new signatures: reports that may give triage a shorter repro.
        foreach (var finding in batch.Shorter)
        {
            var report = Queue(finding);
            LogFoundShorter(log, report.ReportId, _campaign, _index, finding.Signature);
        }
    }

    private ViolationReport Queue(Finding finding)
    {
        var report = new ViolationReport(
            ReportIds.For(_campaign, _index, finding.Signature, finding.ProgramText), _campaign, _profileName, _index,
            finding.Signature, finding.Kind, finding.ProgramText, DateTimeOffset.UtcNow);
        _pendingReports.Add(report);
        return report;
    }

    private async Task SyncAsync(CancellationToken cancellation)
    {
        if (_engine is null)
        {
            return;
        }
        await DeliverReportsAsync();
        if (_pendingReports.Count == 0)
        {
            // Not while reports wait: the store is likely down, and their groups must exist to count in.
            await DeliverSeenAsync();
        }
        if (!_stopping && _sinceDriven.Elapsed > Lease)
        {
            LogOrphaned(log, _campaign, _index, RuntimeIdentity);
            await StopFuzzingAsync();
            return;
        }
        if (!_stopping)
        {
            await ExchangeCorpusAsync();
        }
        else if (_pendingReports.Count == 0)
        {
            FinishIfDone();
        }
    }

    private async Task ExchangeCorpusAsync()
    {
        var hub = GrainFactory.GetGrain<ICorpusHubGrain>(_campaign);
        try
        {
            if (_toPush.Count > 0)
            {
                await hub.PushAsync(_toPush.ToList());
                _toPush.Clear();
            }
            var slice = await hub.PullAsync(_hubEpoch, _hubCursor);
            foreach (var text in slice.Programs)
            {
                // Our own inputs come back from the hub: skip them, the engine has them already.
                if (_known.Add(CorpusHashes.Of(text)) && ProgramParser.TryParse(text, out var program, out _))
                {
                    _engine!.AddExternalInput(program);
                }
            }
            (_hubEpoch, _hubCursor) = (slice.Epoch, slice.Next);
        }
        catch (Exception e)
        {
            // The hub may be moving to another silo; the next sync retries with the same cursor and inputs.
            LogHubUnavailable(log, _campaign, _index, e.Message);
        }
    }

    private async Task DeliverReportsAsync()
    {
        while (_pendingReports.Count > 0)
        {
            var report = _pendingReports[0];
            bool stored;
            try
            {
                var triage = GrainFactory.GetGrain<ITriageGrain>(TriageKey.Format(report.Campaign, report.Signature));
                stored = await triage.ReportAsync(report).WaitAsync(ReportBudget);
            }
            catch (Exception e)
            {
                LogReportRetry(log, report.ReportId, e.Message);
                stored = false;
            }
            if (!stored)
            {
                // Keep it and everything behind it for the next sync: the store is down or triage is moving.
                return;
            }
            _pendingReports.RemoveAt(0);
            LogStored(log, report.ReportId);
        }
    }

    /// <summary>
    /// Stores the running totals of violations per signature that grew since last stored. Totals are idempotent (the
    /// store keeps the larger), so a failed or repeated send is simply tried again at the next sync; a signature whose
    /// first report is not stored yet has no group to count in and waits too. Best effort: what a machine counted after
    /// its last successful send is lost with it.
    /// </summary>
    private async Task DeliverSeenAsync()
    {
        if (_engine is null)
        {
            return;
        }
        var grown = new List<SeenCount>();
        foreach (var (signature, seen) in _engine.ViolationsBySignature)
        {
            if (seen > _seenStored.GetValueOrDefault(signature))
            {
                grown.Add(new SeenCount(signature, seen));
            }
        }
        if (grown.Count == 0)
        {
            return;
        }
        try
        {
            using var budget = new CancellationTokenSource(ReportBudget);
            var stored = (await database.Crashes.RecordSeenAsync(_campaign, _index, _incarnation, grown, budget.Token)).ToHashSet(StringComparer.Ordinal);
            foreach (var count in grown)
            {
                if (stored.Contains(count.Signature))
                {
                    _seenStored[count.Signature] = count.Seen;
                }
            }
        }
        catch (Exception e)
        {
            LogSeenRetry(log, _campaign, _index, e.Message);
        }
    }

    private void FinishIfDone()
    {
        _syncTimer?.Dispose();
        _syncTimer = null;
        LogStopped(log, _campaign, _index);
        this.DeactivateOnIdle();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "machine {Campaign}/{Index} fuzzing on {Silo}")]
    private static partial void LogStarted(ILogger logger, string campaign, int index, string silo);

    [LoggerMessage(Level = LogLevel.Information, Message = "machine {Campaign}/{Index} on {Silo} not driven by its campaign: stopping this activation")]
    private static partial void LogOrphaned(ILogger logger, string campaign, int index, string silo);

    [LoggerMessage(Level = LogLevel.Information, Message = "machine {Campaign}/{Index} on {Silo} moving to {Target}")]
    private static partial void LogMoving(ILogger logger, string campaign, int index, string silo, SiloAddress target);

    [LoggerMessage(Level = LogLevel.Warning, Message = "machine {Campaign}/{Index}: violation counts not stored, retrying at the next sync: {Error}")]
    private static partial void LogSeenRetry(ILogger logger, string campaign, int index, string error);

    [LoggerMessage(Level = LogLevel.Error,
        Message = "machine {Campaign}/{Index}: the simulated machine threw {Exception}: {Reason} at {Site}, a simulator bug; the program is skipped. Program:\n{Program}")]
    private static partial void LogMachineError(ILogger logger, string campaign, int index, string exception, string reason, string site, string program);

    [LoggerMessage(Level = LogLevel.Information, Message = "machine {Campaign}/{Index} stopped")]
    private static partial void LogStopped(ILogger logger, string campaign, int index);

    [LoggerMessage(Level = LogLevel.Information, Message = "report {ReportId} found by {Campaign}/{Index}: {Signature}")]
    private static partial void LogFound(ILogger logger, string reportId, string campaign, int index, string signature);

    [LoggerMessage(Level = LogLevel.Debug, Message = "report {ReportId} found by {Campaign}/{Index}: {Signature} on a shorter program than before")]
    private static partial void LogFoundShorter(ILogger logger, string reportId, string campaign, int index, string signature);

    [LoggerMessage(Level = LogLevel.Information, Message = "report {ReportId} stored")]
    private static partial void LogStored(ILogger logger, string reportId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "report {ReportId} not stored yet, will retry: {Reason}")]
    private static partial void LogReportRetry(ILogger logger, string reportId, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "machine {Campaign}/{Index}: corpus hub unavailable, will retry: {Reason}")]
    private static partial void LogHubUnavailable(ILogger logger, string campaign, int index, string reason);
}
