using System.Diagnostics;
using FuzzFarm.Machine;
using FuzzFarm.Programs;

namespace FuzzFarm.Fuzzing;

/// <summary>Settings of one local fuzzing run (the <c>fuzzfarm fuzz</c> command).</summary>
public sealed record FuzzSessionOptions(KernelProfile Profile, ulong Seed)
{
    /// <summary>Total executions over all engines; null for no limit.</summary>
    public long? MaxExecutions { get; init; }

    /// <summary>Wall-clock limit; it only stops the loop (between rounds), it never steers a decision.</summary>
    public TimeSpan? Duration { get; init; }

    public int Jobs { get; init; } = 1;

    /// <summary>Executions each engine runs between corpus exchanges.</summary>
    public int RoundExecutions { get; init; } = 20_000;

    public IReadOnlyList<Program> InitialCorpus { get; init; } = [];

    public FuzzOptions Engine { get; init; } = FuzzOptions.Default;
}

/// <summary>
/// Progress of a run, reported about once a second and at the end. <paramref name="Violations"/> counts every violation
/// shown (a line and signature per execution), <paramref name="Signatures"/> the distinct signatures among them.
/// </summary>
public sealed record FuzzStatus(long Executions, TimeSpan Elapsed, int CoverageFeatures, int CorpusSize, int Signatures, long Violations);

/// <summary>
/// A signature found by the run: the engine's first sighting, and the run's execution count when it was seen (exact
/// for one job; with several, the engine's own count times the job count); then its later finds on programs shorter
/// than any before, in the order found, for triage to choose the repro from.
/// </summary>
public sealed record SessionFinding(Finding Finding, long Execution, int Engine)
{
    public IReadOnlyList<Finding> Shorter { get; init; } = [];
}

public sealed record FuzzSessionResult(
    long Executions, TimeSpan Elapsed, int CoverageFeatures, IReadOnlyList<SessionFinding> Findings, IReadOnlyList<Program> Corpus,
    long Violations)
{
    /// <summary>Mutants the validators rejected, all engines together (not executed, so not in <see cref="Executions"/>).</summary>
    public long RejectedMutants { get; init; }

    /// <summary>Each place where the machine threw, with the first program that made it (engine order): simulator bugs.</summary>
    public IReadOnlyList<MachineError> MachineErrors { get; init; } = [];
}

/// <summary>
/// One engine per job, each on its own thread, in rounds of executions. After its round k an engine takes, in engine
/// order, the new inputs every other engine found in its round k-1; it waits only for an engine a whole round behind.
/// (Lock-step rounds left 8% of two cores idle at the barrier.) Round numbers, not the threads' timing, decide what
/// is shared, so a run with a given seed, job count and execution limit gives the same findings every time.
/// </summary>
public static class FuzzSession
{
    public static FuzzSessionResult Run(FuzzSessionOptions options, Action<FuzzStatus>? progress, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.Jobs, 1);
        var engines = Enumerable.Range(0, options.Jobs)
            .Select(i => new FuzzEngine(options.Profile, Rng.Derive(options.Seed, (ulong)i), options.Engine))
            .ToArray();
        foreach (var program in options.InitialCorpus)
        {
            foreach (var engine in engines)
            {
                engine.AddExternalInput(program);
            }
        }
        var clock = Stopwatch.StartNew();
        var exchange = new Exchange(engines.Length);
        var lanes = Enumerable.Range(0, engines.Length)
            .Select(i => Task.Factory.StartNew(() => RunLane(i, engines, exchange, options, clock, cancellation),
                CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default))
            .ToArray();
        var findings = new List<SessionFinding>();
        var candidates = new Dictionary<string, List<Finding>>(StringComparer.Ordinal);
        while (!Task.WaitAll(lanes, TimeSpan.FromSeconds(1)))
        {
            Gather(exchange, findings, candidates);
            progress?.Invoke(Status(engines, clock.Elapsed));
        }
        // Rethrows a lane's exception, if any.
        Task.WaitAll(lanes, CancellationToken.None);
        Gather(exchange, findings, candidates);
        progress?.Invoke(Status(engines, clock.Elapsed));
        return new FuzzSessionResult(engines.Sum(e => e.Executions), clock.Elapsed, Coverage(engines),
            [.. findings.Select(f => f with { Shorter = candidates[f.Finding.Signature][1..] })], MergedCorpus(engines),
            engines.Sum(e => e.ViolationsSeen))
        {
            RejectedMutants = engines.Sum(e => e.RejectedMutants),
            MachineErrors = [.. engines.SelectMany(e => e.MachineErrors).DistinctBy(e => e.Key, StringComparer.Ordinal)],
        };
    }

    private static int Coverage(FuzzEngine[] engines) => CoverageMap.CountUnion([.. engines.Select(e => e.Coverage)]);

    /// <summary>
    /// Every engine's corpus, minimized together: a set that reaches every feature any engine kept an input for. One
    /// engine's corpus alone misses what the others found in their last rounds (and, in a run stopped by the clock,
    /// more). In engine order, so a seed replays.
    /// </summary>
    private static IReadOnlyList<Program> MergedCorpus(FuzzEngine[] engines)
    {
        if (engines.Length == 1)
        {
            return [.. engines[0].CorpusPrograms];
        }
        var merged = new Corpus();
        foreach (var entry in engines.SelectMany(e => e.CorpusEntries))
        {
            merged.Add(new CorpusEntry(entry.Program, entry.Features, entry.NewFeatures));
        }
        merged.Minimize();
        return [.. merged.Entries.Select(e => e.Program)];
    }

    /// <summary>One engine's rounds, until its share of the execution limit, the time limit or cancellation.</summary>
    private static void RunLane(int lane, FuzzEngine[] engines, Exchange exchange, FuzzSessionOptions options, Stopwatch clock,
        CancellationToken cancellation)
    {
        var engine = engines[lane];
        var jobs = engines.Length;
        var quota = options.MaxExecutions is { } max ? max / jobs + (lane < max % jobs ? 1 : 0) : long.MaxValue;
        try
        {
            for (var k = 0; !cancellation.IsCancellationRequested && engine.Executions < quota
                 && (options.Duration is not { } d || clock.Elapsed < d); k++)
            {
                var batch = engine.RunBatch((int)Math.Max(1, Math.Min(options.RoundExecutions, quota - engine.Executions)));
                // Parsed here, once, rather than by each engine that takes them.
                var shared = jobs > 1 ? batch.NewInputs.Select(i => ProgramParser.Parse(i.ProgramText)).ToArray() : [];
                exchange.Publish(lane, new Round(batch, [.. batch.Findings.Select(f => engine.FirstSeen[f.Signature])], shared));
                // Running another's inputs counts as executions: an engine at its quota takes no more (it would only
                // overshoot the run's limit, for a corpus the merged one at the end already holds).
                for (var other = 0; k > 0 && other < jobs && engine.Executions < quota; other++)
                {
                    if (other != lane && exchange.WaitFor(other, k - 1) is { } theirs)
                    {
                        foreach (var program in theirs.Shared.TakeWhile(_ => engine.Executions < quota))
                        {
                            engine.AddExternalInput(program);
                        }
                    }
                }
            }
        }
        finally
        {
            exchange.Stop(lane);
        }
    }

    /// <summary>
    /// Adds the findings of every round all engines have finished (or stopped before), round by round in engine order,
    /// so that which engine is credited with a signature does not depend on timing. Each signature's candidates for
    /// triage are its first find, then every find shorter than all before it, from any engine.
    /// </summary>
    private static void Gather(Exchange exchange, List<SessionFinding> findings, Dictionary<string, List<Finding>> candidates)
    {
        while (exchange.TakeNextRound() is { } round)
        {
            for (var engine = 0; engine < round.Length; engine++)
            {
                if (round[engine] is not { } r)
                {
                    continue;
                }
                for (var j = 0; j < r.Batch.Findings.Count; j++)
                {
                    var f = r.Batch.Findings[j];
                    if (candidates.TryAdd(f.Signature, [f]))
                    {
                        findings.Add(new SessionFinding(f, r.SeenAt[j] * round.Length, engine));
                    }
                    else
                    {
                        KeepIfShorter(candidates, f);
                    }
                }
                foreach (var f in r.Batch.Shorter)
                {
                    KeepIfShorter(candidates, f);
                }
            }
        }
    }

    /// <summary>Adds a find of a known signature to its candidates when it is shorter than all of them.</summary>
    private static void KeepIfShorter(Dictionary<string, List<Finding>> candidates, Finding f)
    {
        if (candidates.TryGetValue(f.Signature, out var list) && f.Lines < list[^1].Lines)
        {
            list.Add(f);
        }
    }

    /// <summary>Live figures: findings are gathered round by round, but the status counts signatures as engines see them.</summary>
    private static FuzzStatus Status(FuzzEngine[] engines, TimeSpan elapsed) =>
        new(engines.Sum(e => e.Executions), elapsed, Coverage(engines), engines.Sum(e => e.CorpusSize),
            engines.SelectMany(e => e.Signatures).Distinct(StringComparer.Ordinal).Count(), engines.Sum(e => e.ViolationsSeen));

    /// <summary>
    /// One engine's round: what it found, the engine's execution count at each finding, and its new inputs parsed for
    /// the other engines (programs are immutable, so engines on other threads can run them).
    /// </summary>
    private sealed record Round(BatchResult Batch, long[] SeenAt, Program[] Shared);

    /// <summary>The rounds each engine has finished, behind one lock; engines wait here for each other.</summary>
    private sealed class Exchange(int engines)
    {
        private readonly List<Round>[] _rounds = [.. Enumerable.Range(0, engines).Select(_ => new List<Round>())];
        private readonly bool[] _stopped = new bool[engines];
        private int _gathered;

        public void Publish(int engine, Round round)
        {
            lock (_rounds)
            {
                _rounds[engine].Add(round);
                Monitor.PulseAll(_rounds);
            }
        }

        /// <summary>The engine will publish no more rounds.</summary>
        public void Stop(int engine)
        {
            lock (_rounds)
            {
                _stopped[engine] = true;
                Monitor.PulseAll(_rounds);
            }
        }

        /// <summary>Round <paramref name="k"/> of an engine, once it is done; null if the engine stopped before it.</summary>
        public Round? WaitFor(int engine, int k)
        {
            lock (_rounds)
            {
                while (_rounds[engine].Count <= k && !_stopped[engine])
                {
                    Monitor.Wait(_rounds);
                }
                return _rounds[engine].Count > k ? _rounds[engine][k] : null;
            }
        }

        /// <summary>
        /// The next round of every engine (null for one that stopped before it), once none can still publish it;
        /// null while one still can, or when no engine has it.
        /// </summary>
        public Round?[]? TakeNextRound()
        {
            lock (_rounds)
            {
                var round = new Round?[_rounds.Length];
                for (var i = 0; i < _rounds.Length; i++)
                {
                    if (_rounds[i].Count <= _gathered && !_stopped[i])
                    {
                        return null;
                    }
                    round[i] = _rounds[i].Count > _gathered ? _rounds[i][_gathered] : null;
                }
                if (round.All(r => r is null))
                {
                    return null;
                }
                _gathered++;
                return round;
            }
        }
    }
}
