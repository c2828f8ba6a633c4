using FuzzFarm.Programs;
using Xunit;

namespace FuzzFarm.Machine.Tests;

/// <summary>
/// A fault maps a THP only while the PMD is none. A zap that empties a PTE table leaves the table in place (page tables
/// go with their VMAs), so the range faults base pages from then on; from 6.14, MADV_DONTNEED of the table's whole 2M
/// frees the empty table (PT_RECLAIM) and the next fault may map a THP again. Fork gives the child a table wherever the
/// parent has one.
/// </summary>
public class KeptPteTableTests
{
    private const long Thp = 2 << 20;

    /// <summary>A PMD-mapped THP split by a 4K dontneed, then its whole 2M zapped: the PTE table is left empty.</summary>
    private static ulong EmptiedSplitTable(Rig r)
    {
        var a = r.MapThp();
        Assert.Equal(Status.Done, r.K.Madvise(r.T0, a + 4096, 4096, Flag.DontNeed));
        Assert.Null(r.P0.Table(a)!.Huge);
        Assert.Equal(Status.Done, r.K.Madvise(r.T0, a, Thp, Flag.DontNeed));
        return a;
    }

    [Theory]
    [InlineData("v5.7", false)]
    [InlineData("v5.19", false)]
    [InlineData("v6.2", false)]
    [InlineData("v6.15", true)]
    public void A_write_where_dontneed_emptied_a_PTE_table_maps_a_base_page_until_PT_RECLAIM_frees_the_table(string profile, bool thp)
    {
        var r = new Rig(profile);
        var a = EmptiedSplitTable(r);

        r.Store(r.T0, a + 8192);

        var table = r.P0.Table(a)!;
        Assert.Equal(thp, table.Huge is not null);
        Assert.Equal(!thp, Rig.PteOf(r.P0, a + 8192).Present);
    }

    [Fact]
    public void A_dontneed_of_the_whole_PMD_mapped_THP_leaves_the_PMD_none_so_the_next_write_maps_a_THP_on_every_profile()
    {
        var r = new Rig("v5.9");
        var a = r.MapThp();
        Assert.Equal(Status.Done, r.K.Madvise(r.T0, a, Thp, Flag.DontNeed));

        r.Store(r.T0, a);

        Assert.NotNull(r.P0.Table(a)!.Huge);
    }

    [Fact]
    public void PT_RECLAIM_frees_only_a_table_whose_whole_2M_one_dontneed_covered()
    {
        var r = new Rig("v6.15");
        var a = r.MapThp();
        Assert.Equal(Status.Done, r.K.Madvise(r.T0, a + 4096, 4096, Flag.DontNeed));
        // Two dontneeds that together empty the table: neither covered its whole range, so the table stays.
        Assert.Equal(Status.Done, r.K.Madvise(r.T0, a, Thp / 2, Flag.DontNeed));
        Assert.Equal(Status.Done, r.K.Madvise(r.T0, a + (Thp / 2), Thp / 2, Flag.DontNeed));

        r.Store(r.T0, a);

        Assert.Null(r.P0.Table(a)!.Huge);
    }

    [Fact]
    public void A_base_page_fault_before_madvise_hugepage_keeps_its_table_after_the_page_is_zapped()
    {
        var r = new Rig("v5.12");
        var a = r.Map(Thp);
        r.Store(r.T0, a);
        Assert.Equal(Status.Done, r.K.Madvise(r.T0, a, 4096, Flag.DontNeed));
        Assert.Equal(Status.Done, r.K.Madvise(r.T0, a, Thp, Flag.HugePage));

        r.Store(r.T0, a + 4096);

        Assert.Null(r.P0.Table(a)!.Huge);
    }

    [Fact]
    public void A_child_forked_over_an_emptied_table_gets_a_table_too_and_faults_base_pages()
    {
        var r = new Rig("v5.11");
        var a = EmptiedSplitTable(r);
        var child = r.Fork(r.T0, 1);

        r.Store(child, a);

        Assert.Null(child.Process.Table(a)!.Huge);
        Assert.True(Rig.PteOf(child.Process, a).Present);
    }
}
