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
}
