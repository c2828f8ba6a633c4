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

/// <summary>Progress of a run, reported about once a second and at the end.</summary>
public sealed record FuzzStatus(long Executions, TimeSpan Elapsed, int CoverageFeatures, int CorpusSize, int Signatures);

/// <summary>
/// A signature found by the run: the engine's first sighting, and the run's execution count when it was seen (exact
/// for one job; with several, the engine's own count times the job count).
/// </summary>
public sealed record SessionFinding(Finding Finding, long Execution, int Engine);

public sealed record FuzzSessionResult(
    long Executions, TimeSpan Elapsed, int CoverageFeatures, IReadOnlyList<SessionFinding> Findings, IReadOnlyList<Program> Corpus);

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
        var rounds = engines.Select(_ => new List<Round>()).ToArray();
        var stopped = new bool[engines.Length];
        var gate = new object();
        var lanes = Enumerable.Range(0, engines.Length)
            .Select(i => Task.Factory.StartNew(() => RunLane(i, engines, rounds, stopped, gate, options, clock, cancellation),
                CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default))
            .ToArray();
        var findings = new List<SessionFinding>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var gathered = 0;
        while (!Task.WaitAll(lanes, TimeSpan.FromSeconds(1)))
        {
            gathered = Gather(engines, rounds, stopped, gate, gathered, findings, seen);
            progress?.Invoke(Status(engines, clock.Elapsed, seen.Count));
        }
        // Rethrows a lane's exception, if any.
        Task.WaitAll(lanes, CancellationToken.None);
        Gather(engines, rounds, stopped, gate, gathered, findings, seen);
        progress?.Invoke(Status(engines, clock.Elapsed, seen.Count));
        return new FuzzSessionResult(engines.Sum(e => e.Executions), clock.Elapsed, engines.Max(e => e.CoverageFeatures), findings,
            [.. engines[0].CorpusPrograms]);
    }

    /// <summary>One engine's rounds, until its share of the execution limit, the time limit or cancellation.</summary>
    private static void RunLane(int lane, FuzzEngine[] engines, List<Round>[] rounds, bool[] stopped, object gate,
        FuzzSessionOptions options, Stopwatch clock, CancellationToken cancellation)
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
                var seenAt = batch.Findings.Select(f => engine.FirstSeen[f.Signature]).ToArray();
                lock (gate)
                {
                    rounds[lane].Add(new Round(batch, seenAt));
                    Monitor.PulseAll(gate);
                }
                for (var other = 0; k > 0 && other < jobs; other++)
                {
                    if (other != lane && RoundOf(other, k - 1, rounds, stopped, gate) is { } theirs)
                    {
                        foreach (var input in theirs.Batch.NewInputs)
                        {
                            engine.AddExternalInput(ProgramParser.Parse(input.ProgramText));
                        }
                    }
                }
            }
        }
        finally
        {
            lock (gate)
            {
                stopped[lane] = true;
                Monitor.PulseAll(gate);
            }
        }
    }

    /// <summary>Round <paramref name="k"/> of an engine, once it is done; null if the engine stopped before it.</summary>
    private static Round? RoundOf(int engine, int k, List<Round>[] rounds, bool[] stopped, object gate)
    {
        lock (gate)
        {
            while (rounds[engine].Count <= k && !stopped[engine])
            {
                Monitor.Wait(gate);
            }
            return rounds[engine].Count > k ? rounds[engine][k] : null;
        }
    }

    /// <summary>
    /// Takes the findings of every round all engines have finished (or stopped before), round by round in engine
    /// order, so that which engine is credited with a signature does not depend on timing. Returns the next round.
    /// </summary>
    private static int Gather(FuzzEngine[] engines, List<Round>[] rounds, bool[] stopped, object gate, int next,
        List<SessionFinding> findings, HashSet<string> seen)
    {
        while (true)
        {
            var round = new Round?[engines.Length];
            lock (gate)
            {
                var any = false;
                for (var i = 0; i < engines.Length; i++)
                {
                    if (rounds[i].Count <= next && !stopped[i])
                    {
                        return next;
                    }
                    round[i] = rounds[i].Count > next ? rounds[i][next] : null;
                    any |= round[i] is not null;
                }
                if (!any)
                {
                    return next;
                }
            }
            for (var i = 0; i < engines.Length; i++)
            {
                if (round[i] is not { } r)
                {
                    continue;
                }
                for (var j = 0; j < r.Batch.Findings.Count; j++)
                {
                    if (seen.Add(r.Batch.Findings[j].Signature))
                    {
                        findings.Add(new SessionFinding(r.Batch.Findings[j], r.SeenAt[j] * engines.Length, i));
                    }
                }
            }
            next++;
        }
    }

    /// <summary>One engine's round: what it found and shares, and the engine's execution count at each finding.</summary>
    private sealed record Round(BatchResult Batch, long[] SeenAt);

    private static FuzzStatus Status(FuzzEngine[] engines, TimeSpan elapsed, int signatures) =>
        new(engines.Sum(e => e.Executions), elapsed, engines.Max(e => e.CoverageFeatures), engines.Sum(e => e.CorpusSize), signatures);
}
