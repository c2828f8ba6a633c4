using FuzzFarm.Programs;
using Xunit;

namespace FuzzFarm.Machine.Tests;

/// <summary>
/// The copy a R/O pin's unshare fault makes (5.19+): wp_page_copy maps it read-only and clean and carries over the old
/// PTE's soft-dirty and uffd-wp bits ("if (unlikely(unshare)) { if (pte_soft_dirty(...)) ...; if (pte_uffd_wp(...))
/// ... }"); only a write fault's copy is made dirty and writable.
/// </summary>
public class UnshareCopyTests
{
    [Theory]
    [InlineData("v5.19")]
    [InlineData("v6.15")]
    public void An_unshare_copy_keeps_the_uffd_wp_bit_so_a_later_write_still_waits_for_the_handler(string profile)
    {
        var r = new Rig(profile);
        var a = r.SharedWithChild(out _);
        r.WriteProtect(a, 4096);
        var shared = Rig.FolioOf(r.P0, a);

        Assert.Equal(Status.Done, r.K.Pin(r.T0, a, 4096, Flag.R | Flag.LongTerm, out _));

        var pte = Rig.PteOf(r.P0, a);
        Assert.NotSame(shared, pte.Folio);
        Assert.False(pte.Writable);
        Assert.Equal(PteFlags.UffdWp, pte.Flags & PteFlags.UffdWp);
        var writer = r.K.NewThread(r.P0, 2, "t2");
        Assert.Equal(Status.Blocked, r.K.Store(writer, a, 99, null, out _));
    }

    [Fact]
    public void A_hugetlb_unshare_copy_keeps_the_uffd_wp_bit()
    {
        var r = new Rig("v6.15");
        var a = r.Map(2 << 20, Flag.Private | Flag.Hugetlb);
        r.Store(r.T0, a);
        r.Fork(r.T0, 1);
        r.WriteProtect(a, 2 << 20);
        var shared = Rig.FolioOf(r.P0, a);

        Assert.Equal(Status.Done, r.K.Pin(r.T0, a, 4096, Flag.R | Flag.LongTerm, out _));

        var table = r.P0.Table(a)!;
        Assert.NotSame(shared, table.Huge);
        Assert.Equal(PteFlags.Present | PteFlags.UffdWp, table.HugeFlags);
        var writer = r.K.NewThread(r.P0, 2, "t2");
        Assert.Equal(Status.Blocked, r.K.Store(writer, a, 99, null, out _));
    }

    [Fact]
    public void An_unshare_copy_is_clean_and_keeps_a_cleared_soft_dirty_bit()
    {
        var r = new Rig("v5.19");
        var a = r.SharedWithChild(out _);
        Assert.Equal(Status.Done, r.K.ClearRefs(r.T0, r.T0, null));

        Assert.Equal(Status.Done, r.K.Pin(r.T0, a, 4096, Flag.R | Flag.LongTerm, out _));

        var pte = Rig.PteOf(r.P0, a);
        Assert.Equal(Decision.UnshareCopy, pte.Grant);
        Assert.Equal(PteFlags.Present, pte.Flags);
        Assert.Equal(Status.Done, r.K.Pagemap(r.T0, a, out var softDirty));
        Assert.False(softDirty);
    }

    [Fact]
    public void A_pte_mapped_thp_left_with_one_mapping_is_copied_not_reused_on_6_15()
    {
        var r = new Rig("v6.15");
        var a = r.MapThp();
        Assert.Equal(Status.Done, r.K.Munmap(r.T0, a + 4096, (2 << 20) - 4096));
        var c = r.Fork(r.T0, 1);
        Assert.Equal(Status.Done, r.K.Exit(c));
        var thp = Rig.FolioOf(r.P0, a);
        Assert.Equal(1, thp.TotalMapcount());

        r.Store(r.T0, a);

        // __wp_can_reuse_large_anon_folio: one remaining mapping frees the large folio instead of reusing it.
        Assert.NotSame(thp, Rig.FolioOf(r.P0, a));
        Assert.Equal(Decision.WpCopyMmOwner, Rig.PteOf(r.P0, a).Grant);
    }
}
