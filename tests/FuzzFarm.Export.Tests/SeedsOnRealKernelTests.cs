using FuzzFarm.Export.Real;
using FuzzFarm.Machine;
using Xunit;
using Xunit.Abstractions;

namespace FuzzFarm.Export.Tests;

/// <summary>
/// Every exportable seed runs on this machine's kernel; each observation must agree with the machine under the
/// matching profile (6.18 → v6.15 = latest), and the real kernel must show a leak exactly when the seed's header
/// says the profile violates (only the hugetlb leak is still open, and only where hugetlb pages exist).
/// </summary>
public class SeedsOnRealKernelTests(ITestOutputHelper output)
{
    [Fact]
    public void Exportable_seeds_agree_with_the_matching_profile_and_the_others_are_documented()
    {
        var release = KernelRelease.Current();
        var profile = KernelProfile.Parse(KernelRelease.ProfileFor(release)!);
        var readme = File.ReadAllText(Path.Combine(Repo.Root, "corpus", "differential", "README.md"));
        var known = KnownDisagreements.Ids();
        var programs = new List<(string Name, FuzzFarm.Programs.Program Program)>();
        foreach (var file in Repo.SeedFiles())
        {
            var name = Path.GetFileName(file);
            Assert.True(ProgramFile.TryLoad(file, out var program, out var error), error);
            if (CExporter.TryPrepare(program!, out _, out var exportError))
            {
                programs.Add((name, program!));
                continue;
            }
            output.WriteLine($"cannot export {exportError!.Format(name)}");
            Assert.True(readme.Contains($"`{name}`", StringComparison.Ordinal), $"{name} cannot be exported and corpus/differential/README.md does not say why");
        }
        output.WriteLine($"kernel {release}, profile {profile.Name}: {programs.Count} seeds exportable");
        var results = RealSession.Run(programs, p => MachinePredictor.Predict(p, profile), Gcc.Builder);
        var ran = 0;
        foreach (var r in results)
        {
            if (r.Skipped)
            {
                output.WriteLine($"SKIP {r.Name}: this kernel refuses {r.Output.Skip}");
                continue;
            }
            ran++;
            var header = SeedHeader.Read(Path.Combine(Repo.Seeds, r.Name));
            var leaks = r.Output.Observations.Where(o => !o.Ok).ToList();
            output.WriteLine($"{r.Name}: {r.Comparison!.Agreements} agree, {r.Comparison.Disagreements.Count} disagree, real leaks {leaks.Count}");
            foreach (var d in r.Comparison.Disagreements)
            {
                output.WriteLine("  " + d);
            }
            Assert.True(r.Output.Clean, $"{r.Name}: {string.Join("; ", r.Output.Problems)}");
            if (header.Violates.Contains(profile.Name))
            {
                Assert.Contains(leaks, o => o.ViolationKind == header.Kind);
            }
            else
            {
                Assert.Empty(leaks);
            }
            Assert.True(r.Comparison.Agrees || known.Contains(Path.GetFileNameWithoutExtension(r.Name)),
                $"{r.Name} disagrees with {profile.Name} and is not in corpus/differential/KNOWN.md:\n{string.Join("\n", r.Comparison.Disagreements)}");
        }
        output.WriteLine($"{ran} seeds ran on the real kernel, {results.Count - ran} skipped");
    }
}
