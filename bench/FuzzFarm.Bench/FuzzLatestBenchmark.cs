using System.Globalization;
using FuzzFarm.Fuzzing;
using FuzzFarm.Machine;

namespace FuzzFarm.Bench;

/// <summary>
/// <c>fuzz-latest</c>: fuzzes the latest profile (every switch at its safest) for 10 million executions and lists
/// every signature found. Only bugs still open in Linux are expected: the seeds that violate on v6.15 (the hugetlb
/// vmsplice leak) and the programs of corpus/open-upstream. Options:
/// <c>--executions N</c>, <c>--jobs N</c> (processor count), <c>--seed S</c>.
/// </summary>
internal static class FuzzLatestBenchmark
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static int Run(IReadOnlyList<string> args)
    {
        var executions = long.Parse(Option(args, "--executions") ?? "10000000", Inv);
        var jobs = int.Parse(Option(args, "--jobs") ?? Environment.ProcessorCount.ToString(Inv), Inv);
        var seed = ulong.Parse(Option(args, "--seed") ?? "1", Inv);
        var corpus = Path.Combine(FuzzRepoRoot.Find(), "corpus");
        var expected = SeedFile.LoadFolder(Path.Combine(corpus, "seeds"))
            .Concat(SeedFile.LoadFolder(Path.Combine(corpus, "open-upstream")))
            .Where(s => s.Violates.Contains("v6.15"))
            .Select(s => s.SignatureOn("v6.15"))
            .ToHashSet(StringComparer.Ordinal);
        var profile = KernelProfile.Parse("latest");
        var result = FuzzSession.Run(new FuzzSessionOptions(profile, seed) { Jobs = jobs, MaxExecutions = executions },
            s => Console.Error.WriteLine(string.Create(Inv, $"  {s.Executions} executions, coverage {s.CoverageFeatures}, signatures {s.Signatures}")),
            CancellationToken.None);
        Console.WriteLine(string.Create(Inv,
            $"latest: {result.Executions} executions in {result.Elapsed.TotalSeconds:F0}s with {jobs} job(s), coverage {result.CoverageFeatures}, {result.Findings.Count} signature(s)"));
        var unexpected = 0;
        foreach (var f in result.Findings)
        {
            var known = expected.Contains(f.Finding.Signature);
            unexpected += known ? 0 : 1;
            Console.WriteLine(string.Create(Inv, $"  {(known ? "expected (open upstream)" : "UNEXPECTED")} {f.Finding.Signature} (execution {f.Execution})"));
            if (!known)
            {
                Console.WriteLine(Repro.Triage(f.Finding, f.Shorter, profile).Text());
            }
        }
        return unexpected == 0 ? 0 : 1;
    }

    private static string? Option(IReadOnlyList<string> args, string name)
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
