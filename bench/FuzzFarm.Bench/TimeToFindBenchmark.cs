using System.Diagnostics;
using System.Globalization;
using FuzzFarm.Fuzzing;
using FuzzFarm.Machine;
using FuzzFarm.Oracle;
using FuzzFarm.Programs;

namespace FuzzFarm.Bench;

/// <summary>
/// <c>time-to-find</c>: from an empty corpus, executions and seconds until the fuzzer first shows each seed scenario's
/// signature on the scenario's first violating profile (median over seeds), the same for the blind baseline
/// (generation only, no feedback), their ratio, the minimized repro's length against the hand-written seed's, and
/// whether the repro shows the signature on the seed's profiles. The repro is the one a campaign of
/// <c>--repro-executions</c> executions would keep: the lowest seed that found the scenario runs on to that count, and
/// its first find and shorter later finds of the signature are triaged as the farm does (the shortest minimized
/// repro wins), so a scenario seed 1 missed is still checked.
/// A scenario is trivial when the blind baseline's median find is within <c>--trivial N</c> executions (1% of the
/// budget unless told: a fraction of a second); on every other scenario guided must find it in fewer executions than
/// blind, or the run fails.
/// Options: <c>--seeds N</c> (5), <c>--budget N</c> (2000000), <c>--repro-executions N</c> (1000000),
/// <c>--scenario NAME</c>, <c>--all-profiles</c>
/// (also check every other violating profile of each scenario, guided, seed 1), <c>--same-profiles</c> (a find counts
/// only when it violates on exactly the seed's profiles: the seed's bug, not another under its signature).
/// </summary>
internal static class TimeToFindBenchmark
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static int Run(IReadOnlyList<string> args)
    {
        var seeds = IntOption(args, "--seeds", 5);
        var budget = IntOption(args, "--budget", 2_000_000);
        var reproExecutions = IntOption(args, "--repro-executions", 1_000_000);
        var trivial = IntOption(args, "--trivial", budget / 100);
        var only = StringOption(args, "--scenario");
        var sameProfiles = args.Contains("--same-profiles");
        var scenarios = SeedFile.LoadFolder(Path.Combine(FuzzRepoRoot.Find(), "corpus", "seeds"))
            .Where(s => s.IsTarget && (only is null || s.Name == only))
            .ToList();
        Console.WriteLine(string.Create(Inv, $"time to first find from an empty corpus: median of {seeds} seeds, budget {budget} executions per run, trivial when blind finds it within {trivial}{(sameProfiles ? "; a find counts when it shows the seed's signatures on exactly the seed's profiles" : "")}"));
        var guided = new Dictionary<string, List<(long Executions, double Seconds)>>();
        var blind = new Dictionary<string, List<(long Executions, double Seconds)>>();
        var first = new Dictionary<string, Candidates>();
        foreach (var group in scenarios.GroupBy(s => s.Violates[0]))
        {
            var profile = KernelProfile.Parse(group.Key);
            var wanted = group.Select(s => s.Signature).Distinct().ToList();
            for (var seed = 1; seed <= seeds; seed++)
            {
                if (sameProfiles)
                {
                    Collect(guided, profile, RunUntilSameBug(profile, (ulong)seed, FuzzOptions.Default, [.. group], budget, first));
                    Collect(blind, profile, RunUntilSameBug(profile, (ulong)seed, FuzzOptions.Blind, [.. group], budget, null));
                    continue;
                }
                Collect(guided, profile, RunUntilFound(profile, (ulong)seed, FuzzOptions.Default, wanted, budget, first, reproExecutions));
                Collect(blind, profile, RunUntilFound(profile, (ulong)seed, FuzzOptions.Blind, wanted, budget, null, 0));
            }
        }
        Console.WriteLine();
        Console.WriteLine($"{"scenario",-30} {"profile",-9} {"guided execs",13} {"s",7} {"blind execs",13} {"s",7} {"blind/guided",12} {"repro",6} {"seed",5}  verdict");
        var failures = 0;
        var notes = new List<string>();
        foreach (var s in scenarios)
        {
            var key = Key(s.Violates[0], sameProfiles ? s.Name : s.Signature);
            var g = Median(guided.GetValueOrDefault(key), seeds);
            var b = Median(blind.GetValueOrDefault(key), seeds);
            var ratio = g is null ? "-" : b is null ? ">" + (budget / (double)g.Value.Executions).ToString("F1", Inv) : (b.Value.Executions / (double)g.Value.Executions).ToString("F1", Inv);
            var repro = "-";
            if (first.TryGetValue(key, out var candidates))
            {
                var triaged = Repro.Triage(candidates.First, candidates.Shorter, KernelProfile.Parse(s.Violates[0]));
                var minimized = triaged.Minimized;
                repro = minimized.Statements.Length.ToString(Inv);
                if (minimized.Statements.Length > s.Program.Statements.Length)
                {
                    failures++;
                    notes.Add($"{s.Name}: minimized repro ({minimized.Statements.Length} lines) longer than the seed:\n{ProgramPrinter.Print(minimized)}");
                }
                // The minimizer keeps the find's profiles: when they are not the seed's, the find is another root
                // cause under the same signature, and its repro is that bug's, not the seed's.
                var seedProfiles = s.Violates.Where(p => s.SignatureOn(p) == s.Signature).ToList();
                if (!triaged.Violates.SequenceEqual(seedProfiles))
                {
                    notes.Add($"{s.Name}: the repro shows the signature on {string.Join(' ', triaged.Violates)}, the seed on {string.Join(' ', seedProfiles)}");
                }
            }
            var verdict = Verdict(g, b, trivial);
            failures += verdict is "not found" or "blind ahead" ? 1 : 0;
            if (verdict != "trivial")
            {
                // A median of a few seeds hides how wide the runs spread: the spread tells luck from guidance.
                notes.Add($"{s.Name}: guided {Spread(guided.GetValueOrDefault(key), seeds)}; blind {Spread(blind.GetValueOrDefault(key), seeds)}");
            }
            Console.WriteLine(string.Create(Inv,
                $"{s.Name,-30} {s.Violates[0],-9} {Show(g, budget),13} {Seconds(g),7} {Show(b, budget),13} {Seconds(b),7} {ratio,12} {repro,6} {s.Program.Statements.Length,5}  {verdict}"));
        }
        // What the minimizer kept is what to improve it with; the spread of the runs behind each non-trivial median.
        foreach (var text in notes)
        {
            Console.WriteLine(text);
        }
        if (args.Contains("--all-profiles"))
        {
            failures += AllProfiles(scenarios, budget);
        }
        Console.WriteLine(failures == 0 ? "every scenario found within budget; guided ahead of blind on every scenario that is not trivial; every repro no longer than its seed" : $"{failures} shortfall(s)");
        return failures == 0 ? 0 : 1;
    }

    /// <summary>
    /// Runs one engine until every wanted signature is seen or the budget is spent; returns when each was first seen.
    /// When this run is the first to find a signature, it is that signature's repro source: the run goes on to
    /// <paramref name="reproExecutions"/> and collects the signature's shorter finds.
    /// </summary>
    private static Dictionary<string, (long, double)> RunUntilFound(
        KernelProfile profile, ulong seed, FuzzOptions options, List<string> wanted, int budget, Dictionary<string, Candidates>? firstFindings,
        int reproExecutions)
    {
        var engine = new FuzzEngine(profile, seed, options);
        var found = new Dictionary<string, (long, double)>(StringComparer.Ordinal);
        var clock = Stopwatch.StartNew();
        var sourced = new Dictionary<string, Candidates>(StringComparer.Ordinal);
        var searching = 0L;
        while (engine.Executions < budget && found.Count < wanted.Count || sourced.Count > 0 && engine.Executions < reproExecutions)
        {
            var searched = found.Count < wanted.Count;
            var batch = engine.RunBatch(1000);
            foreach (var f in batch.Findings)
            {
                if (wanted.Contains(f.Signature) && found.TryAdd(f.Signature, (engine.FirstSeen[f.Signature], clock.Elapsed.TotalSeconds))
                    && firstFindings is not null && firstFindings.TryAdd(Key(profile.Name, f.Signature), new Candidates(f)))
                {
                    sourced[f.Signature] = firstFindings[Key(profile.Name, f.Signature)];
                }
            }
            foreach (var f in batch.Shorter)
            {
                sourced.GetValueOrDefault(f.Signature)?.Shorter.Add(f);
            }
            searching = searched ? engine.Executions : searching;
        }
        var label = options.CoverageGuided ? "guided" : "blind";
        var onward = engine.Executions > searching ? string.Create(Inv, $" (ran on to {engine.Executions} for repros)") : "";
        Console.WriteLine(string.Create(Inv,
            $"  {profile.Name,-9} seed {seed} {label,-6}: {found.Count}/{wanted.Count} found, {engine.Executions} executions in {clock.Elapsed.TotalSeconds:F1}s ({engine.Executions / clock.Elapsed.TotalSeconds:F0}/s){onward}, coverage {engine.CoverageFeatures}, corpus {engine.CorpusSize}"));
        return found;
    }

    /// <summary>
    /// Like <see cref="RunUntilFound"/>, but per scenario: a violation with a scenario's signature counts only when its
    /// program shows the seed's signature on every profile the seed violates on and none of the seed's signatures on
    /// the others. One signature can name several root causes (an O_DIRECT read and an RDMA pin lose a write to the
    /// same COW, fixed in different releases); this tells the seed's bug from its namesakes. Results are keyed by
    /// scenario name.
    /// </summary>
    private static Dictionary<string, (long, double)> RunUntilSameBug(
        KernelProfile profile, ulong seed, FuzzOptions options, List<SeedFile> scenarios, int budget, Dictionary<string, Candidates>? firstFindings)
    {
        var engine = new FuzzEngine(profile, seed, options);
        var found = new Dictionary<string, (long, double)>(StringComparer.Ordinal);
        var clock = Stopwatch.StartNew();
        var checker = new Executor(ExecutionOptions.Fast);
        Program? last = null;
        engine.ViolationSeen = (program, violation) =>
        {
            // A program with several violations is checked once.
            if (ReferenceEquals(program, last))
            {
                return;
            }
            var open = scenarios.Where(s => !found.ContainsKey(s.Name) && s.Signature == violation.Signature).ToList();
            if (open.Count == 0)
            {
                return;
            }
            last = program;
            var shown = KernelProfile.Named.ToDictionary(k => k.Name, k => checker.Run(program, k).Violations.Select(v => v.Signature).ToHashSet());
            foreach (var s in open.Where(s => SameProfiles(s, shown)))
            {
                found[s.Name] = (engine.Executions, clock.Elapsed.TotalSeconds);
                firstFindings?.TryAdd(Key(profile.Name, s.Name), new Candidates(new Finding(s.Signature, s.Kind, ProgramPrinter.Print(program), violation.Line)));
            }
        };
        while (engine.Executions < budget && found.Count < scenarios.Count)
        {
            engine.RunBatch(1000);
        }
        var label = options.CoverageGuided ? "guided" : "blind";
        Console.WriteLine(string.Create(Inv,
            $"  {profile.Name,-9} seed {seed} {label,-6}: {found.Count}/{scenarios.Count} found with the seed's profiles, {engine.Executions} executions in {clock.Elapsed.TotalSeconds:F1}s"));
        return found;
    }

    private static bool SameProfiles(SeedFile s, Dictionary<string, HashSet<string>> shown)
    {
        var signatures = s.Violates.Select(s.SignatureOn).ToHashSet();
        foreach (var (profile, seen) in shown)
        {
            var ok = s.Violates.Contains(profile) ? seen.Contains(s.SignatureOn(profile)) : !seen.Overlaps(signatures);
            if (!ok)
            {
                return false;
            }
        }
        return true;
    }

    private static int AllProfiles(List<SeedFile> scenarios, int budget)
    {
        Console.WriteLine();
        Console.WriteLine("every violating profile of each scenario (guided, seed 1):");
        var misses = 0;
        foreach (var group in scenarios.SelectMany(s => s.Violates.Select(p => (Profile: p, Seed: s))).GroupBy(x => x.Profile))
        {
            var wanted = group.Select(x => x.Seed.SignatureOn(x.Profile)).Distinct().ToList();
            var found = RunUntilFound(KernelProfile.Parse(group.Key), 1, FuzzOptions.Default, wanted, budget, null, 0);
            foreach (var (profile, seed) in group)
            {
                var hit = found.TryGetValue(seed.SignatureOn(profile), out var at);
                misses += hit ? 0 : 1;
                Console.WriteLine(string.Create(Inv, $"    {seed.Name,-30} {profile,-9} {(hit ? at.Item1.ToString(Inv) : "not found")}"));
            }
        }
        return misses;
    }

    /// <summary>A signature's first find and its shorter finds in the order found: what triage chooses the repro from.</summary>
    private sealed record Candidates(Finding First)
    {
        public List<Finding> Shorter { get; } = [];
    }

    /// <summary>Scenarios of different profiles may share a signature: results are kept per profile.</summary>
    private static string Key(string profile, string signature) => profile + " " + signature;

    private static void Collect(Dictionary<string, List<(long, double)>> into, KernelProfile profile, Dictionary<string, (long, double)> run)
    {
        foreach (var (signature, at) in run)
        {
            var key = Key(profile.Name, signature);
            if (!into.TryGetValue(key, out var list))
            {
                into[key] = list = [];
            }
            list.Add(at);
        }
    }

    /// <summary>Median over all runs, counting runs that never found it as infinitely slow; null if that is the median.</summary>
    private static (long Executions, double Seconds)? Median(List<(long Executions, double Seconds)>? hits, int runs)
    {
        if (hits is null || hits.Count * 2 <= runs)
        {
            return null;
        }
        var sorted = hits.OrderBy(h => h.Executions).ToList();
        return sorted[(runs - 1) / 2];
    }

    /// <summary>How guided compares with blind on one scenario (medians; null: not found by the median run).</summary>
    private static string Verdict((long Executions, double Seconds)? guided, (long Executions, double Seconds)? blind, int trivial) =>
        guided is not { } g ? "not found"
        : blind is { } b && b.Executions <= trivial ? "trivial"
        : blind is { } b2 && b2.Executions <= g.Executions ? "blind ahead"
        : "guided ahead";

    private static string Spread(List<(long Executions, double Seconds)>? hits, int runs) =>
        string.Create(Inv, $"found by {hits?.Count ?? 0} of {runs} seeds{(hits is { Count: > 0 } ? " at " + string.Join(", ", hits.Select(h => h.Executions).Order()) : "")}");

    private static string Show((long Executions, double Seconds)? m, int budget) =>
        m is { } v ? v.Executions.ToString(Inv) : ">" + budget.ToString(Inv);

    private static string Seconds((long Executions, double Seconds)? m) => m is { } v ? v.Seconds.ToString("F2", Inv) : "-";

    private static int IntOption(IReadOnlyList<string> args, string name, int fallback)
    {
        var text = StringOption(args, name);
        return text is null ? fallback : int.Parse(text, Inv);
    }

    private static string? StringOption(IReadOnlyList<string> args, string name)
    {
        for (var i = 0; i + 1 < args.Count; i++)
        {
            if (args[i] == name)
            {
                return args[i + 1];
            }
        }
        return null;
    }
}
