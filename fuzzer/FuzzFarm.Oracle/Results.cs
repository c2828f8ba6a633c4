namespace FuzzFarm.Oracle;

public enum Verdict
{
    Ok,
    Violation,
}

/// <summary>The violations of machine.md §3.</summary>
public enum ViolationKind
{
    CrossProcessVisibility,
    LostWrite,
    Hang,
    KernelWarn,
}

public static class ViolationKinds
{
    /// <summary>The spelling used in signatures and JSON: <c>cross-process-visibility</c>, <c>lost-write</c> ...</summary>
    public static string Name(ViolationKind kind) => kind switch
    {
        ViolationKind.CrossProcessVisibility => "cross-process-visibility",
        ViolationKind.LostWrite => "lost-write",
        ViolationKind.Hang => "hang",
        _ => "kernel-warn",
    };
}

/// <summary>
/// One violation. <see cref="Signature"/> is <c>kind in function: rule [page kind]</c>, stable across repros of one
/// root cause (no lines, addresses or counts); <see cref="Detail"/> is for humans.
/// </summary>
public sealed record Violation(ViolationKind Kind, string Signature, int Line, string Thread, string Detail)
{
    public string KindName => ViolationKinds.Name(Kind);
}

/// <summary>
/// What an observing op saw. Values are tokens printed as their writer: <c>P1.t0@line5</c> (process, thread, line
/// of the write; <c>/dma</c> or <c>/odirect</c> appended for device and O_DIRECT writes), <c>0</c> for never
/// written; <c>pagemap</c> gives <c>0</c>/<c>1</c>. Multi-word reads give one entry per run of equal words,
/// written <c>value x count</c> when the run is longer than one word.
/// </summary>
public sealed record Observation(int Line, string Thread, string Op, IReadOnlyList<string> Values);

/// <summary>A line that did not run (thread blocked or exited) or failed (EINVAL, SIGSEGV ...): not an error.</summary>
public sealed record Skip(int Line, string Thread, string Reason);

/// <summary>The kernel decisions taken while running one line (fault paths, rules applied, counts seen, TLB use).</summary>
public sealed record TraceEntry(int Line, string Thread, string Op, IReadOnlyList<string> Events);

public sealed class ExecutionOptions
{
    /// <summary>Record <see cref="ExecutionResult.Trace"/>.</summary>
    public bool Trace { get; init; }

    /// <summary>Stop at the first violation.</summary>
    public bool StopAtFirstViolation { get; init; }

    /// <summary>Build <see cref="ExecutionResult.Observations"/> (strings); a fuzzer's hot loop may turn it off.</summary>
    public bool Observations { get; init; } = true;

    /// <summary>
    /// Record <see cref="ExecutionResult.Skipped"/>: the lines that did not run, each with its reason (a string built
    /// per skipped line); a fuzzer's hot loop, which never reads them, may turn it off.
    /// </summary>
    public bool Skips { get; init; } = true;

    /// <summary>
    /// Return the same <see cref="ExecutionResult"/> object from every run, valid until the next run (no allocation
    /// per execution). Off by default: each run gets its own result.
    /// </summary>
    public bool ReuseResult { get; init; }

    /// <summary>Settings for a fuzzer's hot loop: no observation strings, no skipped lines, one reused result.</summary>
    public static ExecutionOptions Fast { get; } = new() { Observations = false, Skips = false, ReuseResult = true };
}

public sealed class ExecutionResult
{
    internal readonly List<Violation> ViolationList = [];
    internal readonly List<Observation> ObservationList = [];
    internal readonly List<Skip> SkipList = [];
    internal List<TraceEntry>? TraceList;
    private uint[] _coverage = [];
    private int _coverageCount;
    private bool _coverageSorted = true;

    public Verdict Verdict => ViolationList.Count == 0 ? Verdict.Ok : Verdict.Violation;

    public IReadOnlyList<Violation> Violations => ViolationList;

    public IReadOnlyList<Observation> Observations => ObservationList;

    public IReadOnlyList<Skip> Skipped => SkipList;

    /// <summary>Coverage features of the run, sorted and de-duplicated.</summary>
    public ReadOnlySpan<uint> Coverage
    {
        get
        {
            if (!_coverageSorted)
            {
                _coverage.AsSpan(0, _coverageCount).Sort();
                _coverageSorted = true;
            }
            return _coverage.AsSpan(0, _coverageCount);
        }
    }

    /// <summary>
    /// The same features in no particular order: what a fuzzer's hot loop checks against its map, most runs bringing
    /// nothing new and needing no sort.
    /// </summary>
    public ReadOnlySpan<uint> CoverageUnordered => _coverage.AsSpan(0, _coverageCount);

    /// <summary>Per-line kernel decisions, when <see cref="ExecutionOptions.Trace"/> was set.</summary>
    public IReadOnlyList<TraceEntry>? Trace => TraceList;

    internal void Clear()
    {
        ViolationList.Clear();
        ObservationList.Clear();
        SkipList.Clear();
        TraceList = null;
        _coverageCount = 0;
        _coverageSorted = true;
    }

    /// <summary>Takes the run's features, de-duplicated, in any order.</summary>
    internal void SetCoverage(ReadOnlySpan<uint> features)
    {
        if (_coverage.Length < features.Length)
        {
            _coverage = new uint[Math.Max(features.Length, _coverage.Length * 2)];
        }
        features.CopyTo(_coverage);
        _coverageCount = features.Length;
        _coverageSorted = false;
    }
}
