using FuzzFarm.Oracle;
using FuzzFarm.Programs;
using Xunit;

namespace FuzzFarm.Machine.Tests;

/// <summary>
/// A write-protect whose flush is deferred or missing, while other CPUs hold entries that still allow writing, is a
/// coverage feature of its own, by cause, number of CPUs and page refcount: the first step of every stale-TLB loss, reached before any
/// write goes through such an entry.
/// </summary>
public class StaleLeftCoverageTests
{
    [Theory]
    // uffd-wp's protect defers its flush: t1, which wrote the page, keeps a writable entry (1 CPU).
    [InlineData("t1: store(a, 2)", "w = uffd_wp(u, a, 4K, on) &", 1)]
    // t1 and t2 both wrote it: 2 CPUs.
    [InlineData("t1: store(a, 2)\nt2 = thread()\nt2: store(a+8, 3)", "w = uffd_wp(u, a, 4K, on) &", 2)]
    // t0 wrote it too, but waits in its split op until the flush: its entry cannot race, and only t1's counts.
    [InlineData("t1: store(a, 2)\nstore(a+8, 3)", "w = uffd_wp(u, a, 4K, on) &", 1)]
    // t1 only read the page (the zero page, mapped read-only): no entry allows writing.
    [InlineData("t1: load(a)", "w = uffd_wp(u, a, 4K, on) &", 0)]
    public void A_write_protect_leaving_writable_entries_is_a_feature_by_cpus(string before, string protect, int cpus)
    {
        var program = ProgramParser.Parse($"""
            a = mmap(4K, rw, private)
            u = uffd()
            uffd_register(u, a, 4K)
            t1 = thread()
            {before}
            {protect}
            wait(w)
            """);

        var left = new Executor().Run(program, KernelProfile.Parse("v5.9")).Coverage.ToArray()
            .Where(f => f >> 16 == (uint)CovPoint.StaleLeft).ToList();

        Assert.Equal(cpus == 0 ? [] : [cpus], left.Select(f => (int)(f & 0xf)));
    }

    [Fact]
    public void Each_cause_is_a_feature_apart()
    {
        var clearRefs = Left("clear_refs(t0)");
        var uffdWp = Left("w = uffd_wp(u, a, 4K, on) &\nwait(w)");

        Assert.Single(clearRefs);
        Assert.Single(uffdWp);
        Assert.NotEqual(clearRefs[0], uffdWp[0]);
    }

    [Fact]
    public void A_page_referenced_elsewhere_is_a_feature_apart()
    {
        // A pipe's reference makes the next write fault copy the page under the page_count rule: the step a loss needs.
        var alone = Left("w = uffd_wp(u, a, 4K, on) &\nwait(w)");
        var spliced = Left("p = pipe()\nvmsplice(p, a, 4K)\nw = uffd_wp(u, a, 4K, on) &\nwait(w)");

        Assert.Single(alone);
        Assert.Single(spliced);
        Assert.NotEqual(alone[0], spliced[0]);
        Assert.Equal(alone[0] & 0xfff, spliced[0] & 0xfff);
    }

    [Theory]
    // Only a split op's window lets a later line fault on the page before the flush: the step after this one.
    [InlineData("t1 = thread()\nt1: uffd_wp(u, a, 4K, on)", "t1 = thread()\nt1: w = uffd_wp(u, a, 4K, on) &\nt1: wait(w)", 0x8000u)]
    // Protecting sends the next write to userfaultfd, which blocks it; unprotecting (read-only before 6.3) sends it to
    // the COW fault, which copies the page while the stale entries can still write the old one.
    [InlineData("uffd_wp(u, a, 4K, off)", "uffd_wp(u, a, 4K, on)", 0x4000u)]
    public void A_split_op_and_a_write_sent_to_userfaultfd_are_features_apart(string plain, string marked, uint bit)
    {
        var without = Left(plain);
        var with = Left(marked);

        Assert.Single(without);
        Assert.Single(with);
        Assert.Equal(without[0] | bit, with[0]);
    }

    private static List<uint> Left(string protect) =>
        [.. new Executor().Run(ProgramParser.Parse($"""
            a = mmap(4K, rw, private)
            u = uffd()
            uffd_register(u, a, 4K)
            store(a, 1)
            {protect}
            """), KernelProfile.Parse("v5.9")).Coverage.ToArray().Where(f => f >> 16 == (uint)CovPoint.StaleLeft)];
}
