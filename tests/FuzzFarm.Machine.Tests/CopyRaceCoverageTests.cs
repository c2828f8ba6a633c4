using FuzzFarm.Oracle;
using FuzzFarm.Programs;
using Xunit;

namespace FuzzFarm.Machine.Tests;

/// <summary>
/// A write that lands on a page while a split store's COW copy of it is in flight is a coverage feature of its own:
/// the state every COW lost-write race passes through, before any read can show the loss.
/// </summary>
public class CopyRaceCoverageTests
{
    // clear_refs write-protects without a flush before 5.12, so t0 keeps a writable TLB entry; t1's store faults
    // and copies (page_count 2 with the pipe's reference) and stops before installing the copy.
    private const string Prefix = """
        a = mmap(4K, rw, private)
        store(a, 1)
        p = pipe()
        vmsplice(p, a, 4K)
        t1 = thread()
        clear_refs(t0)
        t1: c = store(a+8, 2) &

        """;

    [Theory]
    // t0's stale translation still points at the page being copied: its store lands there.
    [InlineData("store(a+16, 3)", true)]
    [InlineData("load(a+16)", false)]
    public void A_write_to_a_page_whose_copy_is_in_flight_is_a_feature(string racing, bool expected)
    {
        var program = ProgramParser.Parse(Prefix + racing + "\nt1: wait(c)\n");

        var features = new Executor().Run(program, KernelProfile.Parse("v5.9")).Coverage.ToArray();

        Assert.Equal(expected, features.Any(f => f >> 16 == (uint)CovPoint.WriteDuringCopy));
    }

    [Theory]
    // Before 5.12 t0's writable entry survives clear_refs when t1's store starts its copy; from 5.12 it is flushed.
    [InlineData("v5.9", true)]
    [InlineData("v5.12", false)]
    public void A_copy_starting_while_another_cpu_can_write_the_page_is_a_feature(string profile, bool expected)
    {
        var program = ProgramParser.Parse(Prefix + "t1: wait(c)\n");

        var features = new Executor().Run(program, KernelProfile.Parse(profile)).Coverage.ToArray();

        Assert.Equal(expected, features.Any(f => f >> 16 == (uint)CovPoint.CopyWhileWritable));
    }

    [Fact]
    public void A_copy_under_a_stale_writable_entry_whose_window_is_open_is_a_feature_apart_from_an_atomic_one()
    {
        var split = CopyWhileWritable(Prefix + "t1: wait(c)\n");
        var atomic = CopyWhileWritable(Prefix.Replace("t1: c = store(a+8, 2) &", "t1: store(a+8, 2)", StringComparison.Ordinal));

        // 0x1000: the split store's window is open, so a later line can write the page before the copy is installed.
        Assert.Contains(split, f => (f & 0x1000u) != 0);
        Assert.NotEmpty(atomic);
        Assert.DoesNotContain(atomic, f => (f & 0x1000u) != 0);
    }

    private static uint[] CopyWhileWritable(string text) =>
        new Executor().Run(ProgramParser.Parse(text), KernelProfile.Parse("v5.9")).Coverage.ToArray()
            .Where(f => f >> 16 == (uint)CovPoint.CopyWhileWritable).ToArray();

    [Fact]
    public void A_stale_write_during_a_copy_is_a_feature_apart_from_one_outside_it()
    {
        var during = Stale(Prefix + "store(a+16, 3)\nt1: wait(c)\n");
        var noCopy = Stale(Prefix.Replace("t1: c = store(a+8, 2) &", "", StringComparison.Ordinal) + "store(a+16, 3)\n");

        // 0x1000: a write; 0x2000: during a copy.
        Assert.Contains(during, f => (f & 0x3000u) == 0x3000u);
        Assert.Contains(noCopy, f => (f & 0x1000u) != 0);
        Assert.DoesNotContain(noCopy, f => (f & 0x2000u) != 0);
    }

    [Fact]
    public void A_stale_write_the_copying_store_overwrites_is_a_feature_apart_from_one_it_loses()
    {
        // t1's store writes a+8: a stale write there is overwritten by it anyway; one to a+16 is lost from the copy.
        var same = Stale(Prefix + "store(a+8, 3)\nt1: wait(c)\n").Where(f => (f & 0x3000u) == 0x3000u).ToArray();
        var other = Stale(Prefix + "store(a+16, 3)\nt1: wait(c)\n").Where(f => (f & 0x3000u) == 0x3000u).ToArray();

        // 0x8: a word the copying store does not write.
        Assert.Contains(same, f => (f & 0x8u) == 0);
        Assert.DoesNotContain(same, f => (f & 0x8u) != 0);
        Assert.Contains(other, f => (f & 0x8u) != 0);
    }

    /// <summary>The stale-entry features of a run on v5.9.</summary>
    private static uint[] Stale(string text) =>
        new Executor().Run(ProgramParser.Parse(text), KernelProfile.Parse("v5.9")).Coverage.ToArray()
            .Where(f => f >> 16 == (uint)CovPoint.StaleTlbCause).ToArray();
}
