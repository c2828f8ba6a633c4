using FuzzFarm.Oracle;
using FuzzFarm.Programs;
using Xunit;

namespace FuzzFarm.Machine.Tests;

/// <summary>A signature names the page as the decision behind it saw it, whatever became of the page since.</summary>
public class SignatureNamingTests
{
    [Fact]
    public void AThpReusedThroughItsPmdAndSplitSinceIsNamedAThp()
    {
        // A fuzzer find on v5.12: the child's write pin reuses the THP through its PMD (the mapcount rule), then its
        // fork splits the PMD to copy the pinned pages, and its store goes through a PTE that still carries the
        // reuse. It was signed 'do_huge_pmd_wp_page: reuse by mapcount [pte-mapped-thp]', a page that function never
        // sees; the seeds' rule is that a leak's bracket names the page that was wrongly reused.
        var program = ProgramParser.Parse("""
            a = mmap(2M, rw, private)
            madvise(a, 2M, hugepage)
            store(a, 0)
            p = pipe()
            vmsplice(p, a, 4K)
            t1 = fork()
            munmap(a, 2M)
            t1: h = pin(a, 4K, rw)
            t1: t2 = fork()
            t1: store(a, 0)
            read(p, 4K)
            """);
        var result = new Executor().Run(program, KernelProfile.Parse("v5.9"));
        Assert.Equal(["cross-process-visibility in do_huge_pmd_wp_page: reuse by mapcount [thp]"], result.Violations.Select(v => v.Signature));
    }

    [Fact]
    public void ABasePageSplitOffACopiedThpIsNamedAfterTheThpTheCopyMade()
    {
        // A fuzzer find on v5.7: the parent's store copies the pinned THP whole (5.7), a partial pageout splits the
        // copy into base pages and swaps one out, and the store after it lands in the swap-in, not in the pinned page.
        // The copy that parted them made a THP; it was signed 'do_huge_pmd_wp_page: copy THP [base]'.
        var program = ProgramParser.Parse("""
            a = mmap(2M, rw, private)
            madvise(a, 2M, hugepage)
            h = pin(a, 4K, rw)
            t1 = fork()
            store(a, 0)
            madvise(a, 4K, pageout)
            store(a, 0)
            dma_read(h, 0)
            """);
        var result = new Executor().Run(program, KernelProfile.Parse("v5.7"));
        Assert.Equal(["lost-write in do_huge_pmd_wp_page: copy THP [thp]"], result.Violations.Select(v => v.Signature));
    }
}
