using System.Globalization;
using FuzzFarm.Export.Generation;
using FuzzFarm.Export.Real;
using FuzzFarm.Machine;
using FuzzFarm.Programs;
using Xunit;
using Xunit.Abstractions;

namespace FuzzFarm.Export.Tests;

/// <summary>
/// 200 random sequential programs run on this kernel and on the matching profile. The agreement rate is printed;
/// every disagreement must be listed (by its id <c>gen-SEED-INDEX</c>) in corpus/differential/KNOWN.md.
/// </summary>
public class DifferentialTests(ITestOutputHelper output)
{
    private const int Seed = 20261125;
    private const int Count = 200;

    [Fact]
    public void Random_sequential_programs_agree_with_the_matching_profile_or_are_known()
    {
        var profile = KernelProfile.Parse(KernelRelease.ProfileFor(KernelRelease.Current())!);
        var generator = new SequentialProgramGenerator(Seed);
        var programs = new List<(string Name, Program Program)>();
        var discarded = 0;
        for (var i = 0; i < Count; i++)
        {
            var (program, d) = generator.Next();
            discarded += d;
            programs.Add((string.Create(CultureInfo.InvariantCulture, $"gen-{Seed}-{i}"), program));
        }
        var results = RealSession.Run(programs, p => MachinePredictor.Predict(p, profile), Gcc.Builder);
        var known = KnownDisagreements.Ids();
        var ran = results.Where(r => !r.Skipped).ToList();
        var agreeing = ran.Count(r => r.Comparison!.Agrees);
        var observationsAgreeing = ran.Sum(r => r.Comparison!.Agreements);
        var observations = observationsAgreeing + ran.Sum(r => r.Comparison!.Disagreements.Count);
        output.WriteLine($"profile {profile.Name}: {Count} programs ({discarded} unexportable candidates discarded), {ran.Count} ran, "
            + $"{agreeing} agree ({100.0 * agreeing / Math.Max(ran.Count, 1):F1}%), observations {observationsAgreeing}/{observations} agree");
        foreach (var op in new[] { Op.Fork, Op.Thread, Op.Pin, Op.DmaWrite, Op.Vmsplice, Op.Read, Op.PreadDirect, Op.ProcessVmReadv, Op.Exit })
        {
            output.WriteLine($"  programs with {OpTable.Get(op).Name}: {programs.Count(p => p.Program.Statements.Any(s => s.Op == op))}");
        }
        output.WriteLine($"  programs with a THP region: {programs.Count(p => p.Program.Statements.Any(s => s.Op == Op.Madvise && s.Args[2].Flags == Flag.HugePage))}");
        foreach (var r in results.Where(r => r.Skipped))
        {
            output.WriteLine($"SKIP {r.Name}: this kernel refuses {r.Output.Skip}");
        }
        var unexplained = new List<string>();
        foreach (var r in ran.Where(r => !r.Comparison!.Agrees))
        {
            var text = $"{r.Name}{(known.Contains(r.Name) ? " (known)" : "")}:\n{ProgramPrinter.Print(r.Program)}{string.Join("\n", r.Comparison!.Disagreements)}";
            output.WriteLine(text);
            if (!known.Contains(r.Name))
            {
                unexplained.Add(text);
            }
        }
        // The kernel here is fixed: its observations must match the exported reference model everywhere.
        Assert.All(ran, r => Assert.All(r.Output.Observations, o => Assert.True(o.Ok, $"{r.Name}: {o.Text}")));
        Assert.True(ran.Count >= Count / 2, $"only {ran.Count} of {Count} programs ran: the kernel refuses features the generator avoids");
        Assert.True(unexplained.Count == 0, "disagreements not in corpus/differential/KNOWN.md:\n" + string.Join("\n\n", unexplained));
    }
}
