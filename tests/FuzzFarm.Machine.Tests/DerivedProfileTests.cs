using FuzzFarm.Oracle;
using FuzzFarm.Programs;
using Xunit;

namespace FuzzFarm.Machine.Tests;

/// <summary>
/// Profiles a user derives to try a fix: a switch must do what its name says and nothing a kernel with that fix would
/// not. (A combination no kernel could run is refused: ProfileTests.)
/// </summary>
public class DerivedProfileTests
{
    [Fact]
    public void RoPinUnshareAddedToAnOlderKernelWithAnonExclusiveUnshares()
    {
        // The R/O pin of a page the child shares follows the parent's copy.
        Assert.Empty(new Executor().Run(ProgramParser.Parse("""
            a = mmap(4K, rw, private)
            store(a, 1)
            t1 = fork()
            h = pin(a, 4K, r)
            store(a, 2)
            dma_read(h, 0)
            """), KernelProfile.Parse("v5.18+ro_pin_unshare=anon+anon_exclusive=true")).Violations);
    }

    [Fact]
    public void HugetlbPageCountFixEndsTheLeakAndKeepsPinnedPagesCoherent()
    {
        var fix = KernelProfile.Parse("latest+hugetlb_reuse=page_count");
        var leak = ProgramParser.Parse(SeedPrograms.Text("s2-vmsplice-hugetlb.ff"));
        Assert.NotEmpty(new Executor().Run(leak, KernelProfile.Parse("latest")).Violations);
        Assert.Empty(new Executor().Run(leak, fix).Violations);
        // An exclusive page with a DMA pin (refcount 2) is reused, as do_wp_page reuses one: copying it would take the
        // CPU's later writes away from the device.
        var pinned = ProgramParser.Parse("""
            a = mmap(2M, rw, private|hugetlb)
            store(a, 1)
            h = pin(a, 4K, rw|longterm)
            mprotect(a, 2M, r)
            mprotect(a, 2M, rw)
            store(a, 2)
            dma_write(h, 8, 3)
            load(a+8)
            """);
        Assert.Empty(new Executor().Run(pinned, fix).Violations);
    }
}
