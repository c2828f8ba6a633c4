using FuzzFarm.Programs;
using Xunit;

namespace FuzzFarm.Machine.Tests;

/// <summary>
/// 5.7's do_huge_pmd_wp_page copies a shared THP into a new THP only where __transparent_hugepage_enabled(vma) allows
/// one. After madvise(nohugepage), which changes the VMA's flags and leaves the PMD alone, it copies the THP into 512
/// base pages (do_huge_pmd_wp_page_fallback) and splits a huge zero PMD, so later faults follow the base-page rules.
/// </summary>
public class ThpCopyFallbackTests
{
    [Fact]
    public void A_shared_THP_in_a_nohugepage_VMA_is_copied_to_base_pages_on_5_7()
    {
        var r = new Rig("v5.7");
        var a = r.MapThp();
        Assert.Equal(Status.Done, r.K.Madvise(r.T0, a, 2 << 20, Flag.NoHugePage));
        var thp = r.P0.Table(a)!.Huge!;
        r.Fork(r.T0, 1);

        r.Store(r.T0, a + 8192);

        Assert.Null(r.P0.Table(a)!.Huge);
        var copy = Rig.PteOf(r.P0, a + 8192);
        Assert.False(copy.Folio!.Large);
        Assert.True(copy.Writable);
        Assert.Equal(Decision.PmdCopyFallback, copy.Grant);
        Assert.True(Rig.PteOf(r.P0, a).Writable);
        Assert.Equal(1, thp.CompoundMapcount);
    }

    [Fact]
    public void Base_page_copies_leave_the_parent_open_to_the_base_page_vmsplice_leak_on_5_7()
    {
        // The parent's copies are base pages: once the grandchild's pipe holds page 0 and it unmaps its own mapping,
        // page 0 has mapcount 1 and the parent's write reuses it.
        var program = ProgramParser.Parse("""
            a = mmap(2M, rw, private)
            madvise(a, 2M, hugepage)
            store(a, 1)
            madvise(a, 2M, nohugepage)
            t1 = fork()
            store(a, 2)
            t2 = fork()
            t2: p = pipe()
            t2: vmsplice(p, a, 4K)
            t2: munmap(a, 0x7000)
            t2: munmap(a+0x8000, 0x1f8000)
            store(a, 3)
            t2: read(p, 4K)
            """);

        Assert.Equal(["v5.7"], Rig.ViolatingProfiles(program));
    }

    [Fact]
    public void A_write_to_the_huge_zero_page_in_a_nohugepage_VMA_splits_it_on_5_7()
    {
        var r = new Rig("v5.7");
        var a = r.Map(2 << 20);
        Assert.Equal(Status.Done, r.K.Madvise(r.T0, a, 2 << 20, Flag.HugePage));
        Assert.Equal(0UL, r.Load(r.T0, a));
        Assert.Equal(Status.Done, r.K.Madvise(r.T0, a, 2 << 20, Flag.NoHugePage));

        r.Store(r.T0, a);

        Assert.Null(r.P0.Table(a)!.Huge);
        Assert.True(Rig.PteOf(r.P0, a + 4096).Folio!.Zero);
    }
}
