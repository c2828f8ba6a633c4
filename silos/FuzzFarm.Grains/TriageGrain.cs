using System.Diagnostics;
using FuzzFarm.Fuzzing;
using FuzzFarm.Grains.Contracts;
using FuzzFarm.Machine;
using FuzzFarm.Oracle;
using FuzzFarm.Oracle.Bisection;
using FuzzFarm.Programs;
using FuzzFarm.Storage;
using FuzzFarm.Telemetry;
using Microsoft.Extensions.Logging;

namespace FuzzFarm.Grains;

/// <summary>
/// One signature of one campaign. A report is acknowledged only once it is in PostgreSQL (idempotent by report id).
/// The first report then gets triaged on a timer, off the grain's turn (minimization and bisection are CPU work):
/// minimize, replay the minimized program on every profile, store; the timer retries the store until it succeeds.
/// A later report on a program shorter than every report before it is triaged the same way, and its result replaces
/// the stored one when its repro is shorter: a signature can name several root causes, and the first found is not
/// always the simplest.
/// </summary>
public sealed partial class TriageGrain(FarmDatabase database, ILogger<TriageGrain> log) : Grain, ITriageGrain
{
    private static readonly TimeSpan StoreBudget = TimeSpan.FromSeconds(3);
    private static readonly TimeSpan RetryPeriod = TimeSpan.FromSeconds(2);

    private string _campaign = "";
    private string _signature = "";
    private bool _triaged;
    private (string ProgramText, string Profile)? _candidate;
    private (string ProgramText, string Profile)? _shorter;
    private int _shortestReport = int.MaxValue;
    private int? _storedLines;
    // The candidate last triaged and its result, kept while the store is retried.
    private ((string ProgramText, string Profile) For, TriageResult Result)? _computed;
    private IGrainTimer? _timer;
    private Stopwatch? _latency;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        (_campaign, _signature) = TriageKey.Parse(this.GetPrimaryKeyString());
        return Task.CompletedTask;
    }

    public async Task<bool> ReportAsync(ViolationReport report)
    {
        CrashRecorded recorded;
        try
        {
            using var budget = new CancellationTokenSource(StoreBudget);
            recorded = await database.Crashes.RecordAsync(
                new CrashReport(report.ReportId, report.Campaign, report.Signature, report.Kind, report.Profile, report.Machine,
                    report.ProgramText, report.ObservedAt),
                budget.Token);
        }
        catch (Exception e)
        {
            LogStoreFailed(log, report.ReportId, e.Message);
            return false;
        }
        if (recorded.NewGroup)
        {
            FarmMetrics.RecordNewSignature(_campaign, report.Kind);
        }
        _triaged |= recorded.Triaged;
        var lines = Finding.LinesOf(report.ProgramText);
        if (!_triaged && _candidate is null)
        {
            _candidate = (report.ProgramText, report.Profile);
            _shortestReport = lines;
            StartTimer();
            return true;
        }
        if (_shortestReport == int.MaxValue)
        {
            // This activation has seen no report yet (a restarted silo, a resumed campaign): the bar is the shortest
            // report the group has stored, as it was before.
            _shortestReport = await ShortestStoredReportAsync(recorded.GroupId, report.ReportId);
        }
        if (lines < _shortestReport)
        {
            _shorter = (report.ProgramText, report.Profile);
            _shortestReport = lines;
            StartTimer();
        }
        return true;
    }

    public async Task<bool> EnsureTriagedAsync()
    {
        if (_triaged || _timer is not null)
        {
            return _triaged;
        }
        using var budget = new CancellationTokenSource(StoreBudget);
        var group = (await database.Crashes.ListGroupsAsync(_campaign, budget.Token)).FirstOrDefault(g => g.Signature == _signature);
        if (group is null)
        {
            return false;
        }
        if (group.TriagedAt is not null)
        {
            _triaged = true;
            return true;
        }
        var instances = await database.Crashes.ListInstancesAsync(group.Id, budget.Token);
        if (instances is [var first, ..])
        {
            _candidate = (first.ProgramText, first.Profile);
            StartTimer();
        }
        return false;
    }

    public Task<bool> BusyAsync() => Task.FromResult(_timer is not null);

    private void StartTimer()
    {
        _latency ??= Stopwatch.StartNew();
        _timer ??= this.RegisterGrainTimer(TriageTickAsync, new GrainTimerCreationOptions
        {
            DueTime = TimeSpan.Zero,
            Period = RetryPeriod,
            KeepAlive = true,
        });
    }

    /// <summary>The first report's triage until it is stored, then the shortest later report's, if any.</summary>
    private async Task TriageTickAsync(CancellationToken cancellation)
    {
        var first = _candidate is not null;
        if ((_candidate ?? _shorter) is not { } candidate)
        {
            StopTimer();
            return;
        }
        // A kept result is stale once a shorter report has taken its candidate's place.
        if (_computed is not { } computed || computed.For != candidate)
        {
            var (campaign, signature) = (_campaign, _signature);
            computed = (candidate, await Task.Run(() => Triage(candidate.ProgramText, candidate.Profile, signature, campaign, log), cancellation));
            _computed = computed;
        }
        var result = computed.Result;
        try
        {
            using var budget = new CancellationTokenSource(StoreBudget);
            if (!first && result.MinimizedLines >= (_storedLines ??= await StoredLinesAsync(budget.Token)))
            {
                LogNotShorter(log, _campaign, _signature, result.MinimizedLines, _storedLines.Value);
            }
            else
            {
                await database.Crashes.SetTriageAsync(_campaign, _signature, result.MinimizedText, result.Matrix,
                    result.OtherSignatures, result.Introduced, result.Fixed, budget.Token);
                LogTriaged(log, _campaign, _signature, result.MinimizedLines, result.Transitions,
                    first ? "first report" : $"a shorter report, replacing {_storedLines} lines");
                _storedLines = result.MinimizedLines;
                if (!first)
                {
                    FarmMetrics.RecordReproReplaced(_campaign);
                }
            }
        }
        catch (Exception e)
        {
            LogStoreFailed(log, _signature, e.Message);
            return;
        }
        if (first)
        {
            _triaged = true;
            _candidate = null;
            FarmMetrics.RecordTriage(_campaign, _latency?.Elapsed ?? TimeSpan.Zero);
        }
        else if (_shorter == candidate)
        {
            _shorter = null;
        }
        _computed = null;
        if (_shorter is null)
        {
            StopTimer();
        }
    }

    /// <summary>Lines of the group's shortest stored report other than <paramref name="except"/>; unreadable: no bar.</summary>
    private async Task<int> ShortestStoredReportAsync(long groupId, string except)
    {
        try
        {
            using var budget = new CancellationTokenSource(StoreBudget);
            var instances = await database.Crashes.ListInstancesAsync(groupId, budget.Token);
            return instances.Where(i => i.ReportId != except).Select(i => Finding.LinesOf(i.ProgramText)).DefaultIfEmpty(int.MaxValue).Min();
        }
        catch (Exception e)
        {
            LogStoreFailed(log, _signature, e.Message);
            return int.MaxValue;
        }
    }

    /// <summary>Lines of the stored repro (a group triaged before this activation); unreadable counts as longest.</summary>
    private async Task<int> StoredLinesAsync(CancellationToken cancellation)
    {
        var group = (await database.Crashes.ListGroupsAsync(_campaign, cancellation)).FirstOrDefault(g => g.Signature == _signature);
        return group?.MinimizedText is { } text && ProgramParser.TryParse(text, out var program, out _)
            ? program.Statements.Length
            : int.MaxValue;
    }

    private void StopTimer()
    {
        _timer?.Dispose();
        _timer = null;
    }

    /// <summary>
    /// Minimize, then replay on every profile. A failure in either (a machine or minimizer bug on this program) must not
    /// leave the group untriaged forever: the step falls back (original program, empty matrix) and says so in the log.
    /// </summary>
    private static TriageResult Triage(string programText, string profileName, string signature, string campaign, ILogger log)
    {
        Program program;
        try
        {
            program = ProgramParser.Parse(programText);
        }
        catch (ProgramException e)
        {
            LogStepFailed(log, campaign, signature, "parse", e.Message);
            return new TriageResult(programText, 0, new Dictionary<string, bool>(), new Dictionary<string, string>(), [], []);
        }
        var minimized = program;
        try
        {
            minimized = Minimizer.Minimize(program, KernelProfile.Parse(profileName), signature);
        }
        catch (Exception e)
        {
            LogStepFailed(log, campaign, signature, "minimize", e.Message);
        }
        try
        {
            var bisection = Bisector.Run(minimized, new Executor());
            var own = bisection.Of(signature);
            return new TriageResult(ProgramPrinter.Print(minimized), minimized.Statements.Length, bisection.Matrix, bisection.OtherThan(signature),
                own.Introduced, own.Fixed);
        }
        catch (Exception e)
        {
            LogStepFailed(log, campaign, signature, "replay on every profile", e.Message);
            return new TriageResult(ProgramPrinter.Print(minimized), minimized.Statements.Length, new Dictionary<string, bool>(),
                new Dictionary<string, string>(), [], []);
        }
    }

    private sealed record TriageResult(
        string MinimizedText,
        int MinimizedLines,
        IReadOnlyDictionary<string, bool> Matrix,
        IReadOnlyDictionary<string, string> OtherSignatures,
        IReadOnlyList<string> Introduced,
        IReadOnlyList<string> Fixed)
    {
        public string Transitions => $"introduced in {string.Join(',', Introduced)}, fixed in {string.Join(',', Fixed)}";
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "triage store unavailable for {What}, will retry: {Reason}")]
    private static partial void LogStoreFailed(ILogger logger, string what, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "campaign {Campaign}: triage of '{Signature}' could not {Step}, storing what it has: {Reason}")]
    private static partial void LogStepFailed(ILogger logger, string campaign, string signature, string step, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "campaign {Campaign}: triaged '{Signature}': {Lines} lines, {Transitions} (from {Source})")]
    private static partial void LogTriaged(ILogger logger, string campaign, string signature, int lines, string transitions, string source);

    [LoggerMessage(Level = LogLevel.Information, Message = "campaign {Campaign}: a shorter report of '{Signature}' minimized to {Lines} lines, the stored repro has {Stored}: kept")]
    private static partial void LogNotShorter(ILogger logger, string campaign, string signature, int lines, int stored);
}
