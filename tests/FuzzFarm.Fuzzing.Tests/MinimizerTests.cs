using System.Collections.Immutable;
using FuzzFarm.Machine;
using FuzzFarm.Oracle;
using FuzzFarm.Programs;
using Xunit;

namespace FuzzFarm.Fuzzing.Tests;

public class MinimizerTests
{
    public static TheoryData<string> SeedNames()
    {
        var data = new TheoryData<string>();
        foreach (var s in Seeds.All.Where(s => s.IsTarget))
        {
            data.Add(s.Name);
        }
        return data;
    }

    /// <summary>The seed buried in unrelated lines (new mappings, loads and stores of them, an extra thread).</summary>
    private static Program Padded(SeedFile seed)
    {
        var lines = new List<Statement>(seed.Program.Statements.Select(s => s with { Line = 0 }));
        lines.Insert(0, Grammar.Make("t0", "zz", Op.Mmap, false, [Arg.Num(8192), Arg.Of(Flag.Rw), Arg.Of(Flag.Private)]));
        lines.Insert(1, Grammar.Make("t0", null, Op.Store, false, [Arg.Ref("zz", 4096), Arg.Num(77)]));
        lines.Insert(2, Grammar.Make("t0", "t9", Op.Thread, false, []));
        lines.Insert(lines.Count / 2, Grammar.Make("t9", null, Op.Load, false, [Arg.Ref("zz")]));
        lines.Add(Grammar.Make("t0", null, Op.Memset, false, [Arg.Ref("zz"), Arg.Num(8192), Arg.Num(5)]));
        lines.Add(Grammar.Make("t9", null, Op.Load, false, [Arg.Ref("zz", 8)]));
        return ProgramValidator.Validate(ImmutableArray<string>.Empty, lines);
    }

    [Theory]
    [MemberData(nameof(SeedNames))]
    public void MinimizedRepoStillViolatesAndIsNoLongerThanTheSeed(string name)
    {
        var seed = Seeds.Named(name);
        var profile = KernelProfile.Parse(seed.Violates[0]);
        Assert.True(Shows(seed.Program, profile, seed.Signature), $"the seed itself does not show '{seed.Signature}' on {profile.Name}");
        var padded = Padded(seed);
        Assert.True(Shows(padded, profile, seed.Signature), $"padded seed lost '{seed.Signature}':\n{ProgramPrinter.Print(padded)}");
        var minimized = Minimizer.Minimize(padded, profile, seed.Signature);
        Assert.True(Shows(minimized, profile, seed.Signature));
        Assert.True(minimized.Statements.Length <= seed.Program.Statements.Length,
            $"{minimized.Statements.Length} lines, seed has {seed.Program.Statements.Length}:\n{ProgramPrinter.Print(minimized)}");
        Assert.DoesNotContain(minimized.Statements, s => s.Binding == "zz" || s.Thread == "t9");
        Assert.Equal(seed.Violates.Where(p => seed.SignatureOn(p) == seed.Signature), Matrix(minimized, seed.Signature));
    }

    private static bool Shows(Program program, KernelProfile profile, string signature) =>
        new Executor().Run(program, profile).Violations.Any(v => v.Signature == signature);

    [Fact]
    public void AProgramThatDoesNotViolateComesBackUnchanged()
    {
        var program = ProgramParser.Parse("a = mmap(4K, rw, private)\nstore(a, 1)\nload(a)\n");
        Assert.Same(program, Minimizer.Minimize(program, KernelProfile.Parse("v5.7"), "no such signature"));
    }

    [Fact]
    public void AnODirectReadThatOnlyFillsThePageBecomesOneStoreAndItsFileGoes()
    {
        // The uffd-wp self-hang seed with its store done by a completed O_DIRECT read from a file.
        var program = ProgramParser.Parse("""
            a = mmap(4K, rw, private)
            f = file(4K)
            pread_direct(f, 0, a, 4K)
            u = uffd()
            uffd_register(u, a, 4K)
            uffd_wp(u, a, 4K, on)
            g = file(4K)
            write(g, 0, a, 4K)
            """);
        var profile = KernelProfile.Parse("v5.8");
        const string Hang = "hang in handle_userfault: read GUP forced write on a uffd-wp page [base]";
        Assert.True(Shows(program, profile, Hang));
        var minimized = Minimizer.Minimize(program, profile, Hang);
        Assert.True(Shows(minimized, profile, Hang));
        Assert.Contains(minimized.Statements, s => s.Op == Op.Store);
        Assert.DoesNotContain(minimized.Statements, s => s.Op == Op.PreadDirect);
        Assert.Equal(7, minimized.Statements.Length);
    }

    [Fact]
    public void AnODirectReadInFlightIsNotTradedForAnRdmaPinThatIsAnotherBug()
    {
        // The fuzzer's first find of the hugetlb fork COW signature: an O_DIRECT read in flight across the fork and the
        // parent's write. A pin and a dma_write show the same signature on v5.7, but fork copies a pinned hugetlb page
        // from 5.12 on while O_DIRECT's page stays exposed up to 6.2: a repro with the pin would report the wrong fix.
        var program = ProgramParser.Parse("""
            t1 = thread()
            a = mmap(4K, rw, private|hugetlb)
            t1: f = file(4K)
            t1: w = pread_direct(f, 0, a+4K, 4K) &
            t2 = fork()
            store(a, 0)
            t1: wait(w)
            load(a+4K)
            """);
        var profile = KernelProfile.Parse("v5.7");
        const string Lost = "lost-write in hugetlb_wp: copy [hugetlb]";
        var minimized = Minimizer.Minimize(program, profile, Lost);
        Assert.Equal(Matrix(program, Lost), Matrix(minimized, Lost));
        Assert.Contains("v6.2", Matrix(minimized, Lost));
        Assert.Contains(minimized.Statements, s => s.Op == Op.PreadDirect);
    }

    [Fact]
    public void ALineThatOnlyAnotherOrderNeedsGoesOnceTwoLinesSwap()
    {
        // The fuzzer's first find of the base-page vmsplice leak (seed 1 of time-to-find): the parent splices before
        // fork, so the child must splice too, or the leak is also 5.8's (which forces COW only for a GUP after fork).
        // No line goes as it stands; with the two stores swapped the parent's splice goes: the seed's shape, 8 lines.
        var program = ProgramParser.Parse("""
            a = mmap(4K, rw, private)
            store(a, 0)
            p = pipe()
            vmsplice(p, a, 4K)
            t1 = fork()
            t1: vmsplice(p, a, 4K)
            store(a, 0)
            t1: store(a, 0)
            t1: read(p, 4K)
            """);
        var profile = KernelProfile.Parse("v5.7");
        const string Leak = "cross-process-visibility in do_wp_page: reuse by mapcount [base]";
        Assert.Equal(["v5.7"], Matrix(program, Leak));
        var minimized = Minimizer.Minimize(program, profile, Leak);
        Assert.Equal(["v5.7"], Matrix(minimized, Leak));
        Assert.True(minimized.Statements.Length <= 8, ProgramPrinter.Print(minimized));
    }

    private static List<string> Matrix(Program program, string signature) =>
        [.. KernelProfile.Named.Where(k => Shows(program, k, signature)).Select(k => k.Name)];
}
