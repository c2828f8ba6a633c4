using FuzzFarm.Machine;
using FuzzFarm.Oracle;
using FuzzFarm.Programs;
using Xunit;

namespace FuzzFarm.Fuzzing.Tests;

/// <summary>
/// Properties of the simulated machine on generated programs (issue 3), run through the coverage-guided engine so
/// that they reach deep states: it never throws, no count ever goes negative on any profile, and the safest profile
/// (latest) shows no violation but bugs still open upstream (the hugetlb vmsplice leak, corpus/open-upstream).
/// </summary>
public class MachinePropertyTests
{
    private const int ExecutionsPerProfile = 40_000;

    public static TheoryData<string> Profiles()
    {
        var data = new TheoryData<string>();
        foreach (var p in KernelProfile.Named)
        {
            data.Add(p.Name);
        }
        return data;
    }

    private static bool IsNegativeCount(Violation v) =>
        v.Kind == ViolationKind.KernelWarn
        && (v.Signature.Contains("negative", StringComparison.OrdinalIgnoreCase) || v.Detail.Contains("negative", StringComparison.OrdinalIgnoreCase));

    [Theory]
    [MemberData(nameof(Profiles))]
    public void MachineNeverThrowsAndCountsNeverGoNegative(string profileName)
    {
        var profile = KernelProfile.Parse(profileName);
        var engine = new FuzzEngine(profile, 17);
        var executor = new Executor();
        var findings = new List<Finding>();
        while (engine.Executions < ExecutionsPerProfile)
        {
            findings.AddRange(engine.RunBatch(2000).Findings);   // throws ExecutionFailedException with the program
        }
        foreach (var f in findings)
        {
            var violations = executor.Run(ProgramParser.Parse(f.ProgramText), profile).Violations;
            Assert.DoesNotContain(violations, IsNegativeCount);
        }
    }

    [Fact]
    public void LatestShowsNothingButBugsStillOpenUpstream()
    {
        var open = Seeds.OpenUpstream.Append(Seeds.Named("s2-vmsplice-hugetlb")).Select(s => s.SignatureOn("v6.15")).ToHashSet();
        var engine = new FuzzEngine(KernelProfile.Parse("latest"), 23);
        var unexpected = new List<Finding>();
        while (engine.Executions < 200_000)
        {
            unexpected.AddRange(engine.RunBatch(5000).Findings.Where(f => !open.Contains(f.Signature)));
        }
        Assert.True(unexpected.Count == 0,
            "violations on latest: " + string.Join("\n\n", unexpected.Select(f => $"{f.Signature}\n{f.ProgramText}")));
    }
}
