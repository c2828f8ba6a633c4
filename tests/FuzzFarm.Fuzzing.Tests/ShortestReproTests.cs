using FuzzFarm.Machine;
using FuzzFarm.Programs;
using Xunit;

namespace FuzzFarm.Fuzzing.Tests;

/// <summary>
/// A signature's later finds on shorter programs are reported, and triage keeps the shortest minimized repro: one
/// signature can name several root causes, and the first found is not always the simplest.
/// </summary>
public class ShortestReproTests
{
    private const string Signature = "cross-process-visibility in copy_present_pte: share with child [swap]";

    // Two root causes of one signature on v5.7, as the fuzzer found them: an O_DIRECT read in flight across fork
    // (open until 6.2's FOLL_PIN), and an RDMA pin across fork (fixed in 5.9).
    private const string ODirect = """
        t1 = thread()
        a = mmap(4K, rw, private)
        store(a, 0)
        t1: madvise(a, 4K, pageout)
        f = file(0)
        w = pread_direct(f, 0, a, 8) &
        t1: t2 = fork()
        wait(w)
        t2: load(a)

        """;

    private const string Pin = """
        a = mmap(4K, rw, private)
        store(a, 0)
        madvise(a, 4K, pageout)
        h = pin(a, 4K, rw)
        t1 = fork()
        dma_write(h, 8, 0)
        t1: load(a+8)

        """;

    private static readonly KernelProfile V57 = KernelProfile.Parse("v5.7");

    [Fact]
    public void Triage_keeps_the_shorter_root_cause_and_its_profiles()
    {
        var first = new Finding(Signature, "cross-process-visibility", ODirect, 9);
        var shorter = new Finding(Signature, "cross-process-visibility", Pin, 7);

        var repro = Repro.Triage(first, [shorter], V57);

        Assert.Equal(7, repro.Minimized.Statements.Length);
        Assert.Equal(Pin, ProgramPrinter.Print(repro.Original));
        Assert.Equal(["v5.7", "v5.8", "v5.9-rc4"], repro.Violates);
        // Alone, the first find keeps its own (longer) repro and its own profiles.
        var alone = Repro.Triage(first, V57);
        Assert.Equal(9, alone.Minimized.Statements.Length);
        Assert.Contains("v6.2", alone.Violates);
    }

    [Fact]
    public void A_shorter_find_that_minimizes_longer_does_not_replace_the_first()
    {
        var first = new Finding(Signature, "cross-process-visibility", Pin, 7);
        var longerRepro = new Finding(Signature, "cross-process-visibility", ODirect, 9);

        var repro = Repro.Triage(first, [longerRepro], V57);

        Assert.Equal(Pin, ProgramPrinter.Print(repro.Original));
        Assert.Equal(7, repro.Minimized.Statements.Length);
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
