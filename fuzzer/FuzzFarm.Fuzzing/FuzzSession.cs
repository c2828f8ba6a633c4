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

/// <summary>Progress of a run, reported after each round.</summary>
public sealed record FuzzStatus(long Executions, TimeSpan Elapsed, int CoverageFeatures, int CorpusSize, int Signatures);

/// <summary>
/// A signature found by the run: the engine's first sighting, and the run's execution count when it was seen (exact
/// for one job; with several, the engine's own count times the job count).
/// </summary>
public sealed record SessionFinding(Finding Finding, long Execution, int Engine);

public sealed record FuzzSessionResult(
    long Executions, TimeSpan Elapsed, int CoverageFeatures, IReadOnlyList<SessionFinding> Findings, IReadOnlyList<Program> Corpus);

/// <summary>
/// One engine per job, run in lock-step rounds: every engine runs a fixed number of executions, then each engine's new
/// inputs go to every other engine in engine order. Because the rounds, not the threads' timing, decide what is
/// shared, a run with a given seed, job count and execution limit gives the same findings every time.
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
        var findings = new List<SessionFinding>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var batches = new BatchResult[engines.Length];
        var total = engines.Sum(e => e.Executions);
        var lastReport = TimeSpan.Zero;
        while (!cancellation.IsCancellationRequested
               && (options.MaxExecutions is not { } max || total < max)
               && (options.Duration is not { } d || clock.Elapsed < d))
        {
            var round = RoundSize(options, total, engines.Length);
            var before = engines.Select(e => e.Executions).ToArray();
            if (engines.Length == 1)
            {
                batches[0] = engines[0].RunBatch(round);
            }
            else
            {
                Parallel.For(0, engines.Length, new ParallelOptions { MaxDegreeOfParallelism = engines.Length },
                    i => batches[i] = engines[i].RunBatch(round));
            }
            for (var i = 0; i < engines.Length; i++)
            {
                foreach (var f in batches[i].Findings)
                {
                    if (seen.Add(f.Signature))
                    {
                        var local = engines[i].FirstSeen[f.Signature] - before[i];
                        findings.Add(new SessionFinding(f, total + (local * engines.Length), i));
                    }
                }
            }
            Share(engines, batches);
            total = engines.Sum(e => e.Executions);
            if (progress is not null && (clock.Elapsed - lastReport >= TimeSpan.FromSeconds(1)))
            {
                lastReport = clock.Elapsed;
                progress(Status(engines, clock.Elapsed, total, seen.Count));
            }
        }
        progress?.Invoke(Status(engines, clock.Elapsed, total, seen.Count));
        return new FuzzSessionResult(total, clock.Elapsed, engines.Max(e => e.CoverageFeatures), findings,
            [.. engines[0].CorpusPrograms]);
    }

    private static int RoundSize(FuzzSessionOptions options, long total, int jobs)
    {
        var round = options.RoundExecutions;
        if (options.MaxExecutions is { } max)
        {
            round = (int)Math.Min(round, (max - total + jobs - 1) / jobs);
        }
        return Math.Max(1, round);
    }

    private static void Share(FuzzEngine[] engines, BatchResult[] batches)
    {
        if (engines.Length == 1)
        {
            return;
        }
        for (var from = 0; from < engines.Length; from++)
        {
            foreach (var input in batches[from].NewInputs)
            {
                var program = ProgramParser.Parse(input.ProgramText);
                for (var to = 0; to < engines.Length; to++)
                {
                    if (to != from)
                    {
                        engines[to].AddExternalInput(program);
                    }
                }
            }
        }
    }

    private static FuzzStatus Status(FuzzEngine[] engines, TimeSpan elapsed, long total, int signatures) =>
        new(total, elapsed, engines.Max(e => e.CoverageFeatures), engines.Sum(e => e.CorpusSize), signatures);
}
