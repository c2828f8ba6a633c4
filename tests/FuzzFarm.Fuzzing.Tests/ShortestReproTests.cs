using FuzzFarm.Machine;
using FuzzFarm.Programs;
using FuzzFarm.Testing;
using Xunit;

namespace FuzzFarm.Fuzzing.Tests;

/// <summary>
/// A signature's later finds on shorter programs are reported, and triage keeps the shortest minimized repro: one
/// signature can name several root causes, and the first found is not always the simplest.
/// </summary>
public class ShortestReproTests
{
    private static readonly KernelProfile V57 = KernelProfile.Parse("v5.7");

    [Fact]
    public void Triage_keeps_the_shorter_root_cause_and_its_profiles()
    {
        var first = new Finding(TwoRootCauses.Signature, TwoRootCauses.Kind, TwoRootCauses.ODirect, 7);
        var shorter = new Finding(TwoRootCauses.Signature, TwoRootCauses.Kind, TwoRootCauses.Pin, 5);

        var repro = Repro.Triage(first, [shorter], V57);

        Assert.Equal(5, repro.Minimized.Statements.Length);
        Assert.Equal(TwoRootCauses.Pin, ProgramPrinter.Print(repro.Original));
        Assert.Equal(["v5.7", "v5.8", "v5.9-rc4"], repro.Violates);
        // Alone, the first find keeps its own (longer) repro and its own profiles.
        var alone = Repro.Triage(first, V57);
        Assert.Equal(7, alone.Minimized.Statements.Length);
        Assert.Contains("v6.2", alone.Violates);
    }

    [Fact]
    public void A_shorter_find_that_minimizes_longer_does_not_replace_the_first()
    {
        var first = new Finding(TwoRootCauses.Signature, TwoRootCauses.Kind, TwoRootCauses.Pin, 5);
        var longerRepro = new Finding(TwoRootCauses.Signature, TwoRootCauses.Kind, TwoRootCauses.ODirect, 7);

        var repro = Repro.Triage(first, [longerRepro], V57);

        Assert.Equal(TwoRootCauses.Pin, ProgramPrinter.Print(repro.Original));
        Assert.Equal(5, repro.Minimized.Statements.Length);
    }

    [Fact]
    public void An_engine_reports_a_known_signature_again_only_on_a_shorter_program()
    {
        var engine = new FuzzEngine(V57, 2);
        var batches = Enumerable.Range(0, 20).Select(_ => engine.RunBatch(5000)).ToList();
        var firsts = batches.SelectMany(b => b.Findings).ToDictionary(f => f.Signature, f => f.Lines);
        var shorter = batches.SelectMany(b => b.Shorter).ToList();

        Assert.NotEmpty(shorter);
        foreach (var group in shorter.GroupBy(f => f.Signature))
        {
            var previous = firsts[group.Key];
            foreach (var f in group)
            {
                Assert.True(f.Lines < previous, $"{group.Key}: {f.Lines} lines after {previous}");
                previous = f.Lines;
                var replay = new FuzzFarm.Oracle.Executor().Run(ProgramParser.Parse(f.ProgramText), V57);
                Assert.Contains(replay.Violations, v => v.Signature == f.Signature);
            }
        }
    }

    [Fact]
    public void A_session_passes_on_each_signatures_ever_shorter_finds()
    {
        var options = new FuzzSessionOptions(V57, 5) { Jobs = 2, MaxExecutions = 60_000, RoundExecutions = 5000 };

        var result = FuzzSession.Run(options, null, CancellationToken.None);

        Assert.Contains(result.Findings, f => f.Shorter.Count > 0);
        foreach (var f in result.Findings)
        {
            var lines = f.Finding.Lines;
            foreach (var s in f.Shorter)
            {
                Assert.Equal(f.Finding.Signature, s.Signature);
                Assert.True(s.Lines < lines, $"{s.Signature}: {s.Lines} lines after {lines}");
                lines = s.Lines;
            }
        }
    }
}
