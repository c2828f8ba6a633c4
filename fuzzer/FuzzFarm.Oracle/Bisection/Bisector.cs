using System.Collections.Immutable;
using FuzzFarm.Machine;
using FuzzFarm.Programs;

namespace FuzzFarm.Oracle.Bisection;

/// <summary>Replays one program on every profile, oldest first, and finds where its verdict changes.</summary>
public static class Bisector
{
    /// <summary>Every named profile, oldest first.</summary>
    public static BisectionResult Run(Program program, Executor executor) => Run(program, KernelProfile.Named, executor);

    public static BisectionResult Run(Program program, IReadOnlyList<KernelProfile> profiles, Executor executor)
    {
        var results = ImmutableArray.CreateBuilder<ProfileVerdict>(profiles.Count);
        foreach (var profile in profiles)
        {
            var run = executor.Run(program, profile);
            var signatures = new List<string>(run.Violations.Count);
            foreach (var v in run.Violations)
            {
                if (!signatures.Contains(v.Signature))
                {
                    signatures.Add(v.Signature);
                }
            }
            results.Add(new ProfileVerdict(profile.Name, run.Violations.Count > 0, [.. signatures]));
        }
        return FromVerdicts(results.MoveToImmutable());
    }

    /// <summary>The transitions of an ordered list of verdicts.</summary>
    public static BisectionResult FromVerdicts(ImmutableArray<ProfileVerdict> results)
    {
        var introduced = ImmutableArray.CreateBuilder<string>();
        var fixedIn = ImmutableArray.CreateBuilder<string>();
        var before = false;
        foreach (var r in results)
        {
            if (r.Violated && !before)
            {
                introduced.Add(r.Profile);
            }
            else if (!r.Violated && before)
            {
                fixedIn.Add(r.Profile);
            }
            before = r.Violated;
        }
        return new BisectionResult(results, introduced.ToImmutable(), fixedIn.ToImmutable());
    }
}
