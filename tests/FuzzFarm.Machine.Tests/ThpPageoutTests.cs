using FuzzFarm.Oracle;
using FuzzFarm.Programs;
using Xunit;

namespace FuzzFarm.Machine.Tests;

/// <summary>
/// MADV_PAGEOUT of an anonymous THP (THP_SWAP): a THP mapped once and referenced by nothing else is swapped out
/// whole, one swap entry per mapped subpage, and comes back as base pages; a partly covered one is split into base
/// pages and only the covered ones go; a shared or pinned one stays; hugetlb mappings refuse pageout
/// (can_madv_lru_vma).
/// </summary>
public class ThpPageoutTests
{
    private const long Thp = 2 << 20;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_THP_mapped_once_becomes_one_swap_entry_per_subpage_and_the_folio_is_freed(bool pteMapped)
    {
        var r = new Rig("v6.15");
        var a = r.MapThp();
        var thp = Rig.FolioOf(r.P0, a);
        if (pteMapped)
        {
            Assert.Equal(Status.Done, r.K.Mprotect(r.T0, a, 4096, Flag.R, null));
            Assert.Equal(Status.Done, r.K.Mprotect(r.T0, a, 4096, Flag.Rw, null));
            Assert.Null(r.P0.Table(a)!.Huge);
        }

        Assert.Equal(Status.Done, r.K.Madvise(r.T0, a, Thp, Flag.PageOut));

        Assert.True(thp.Freed);
        var slots = new HashSet<int>();
        for (var i = 0; i < 512; i++)
        {
            var pte = Rig.PteOf(r.P0, a + (ulong)i * 4096);
            Assert.True(pte.IsSwap);
            slots.Add(pte.SwapSlot);
        }
        Assert.Equal(512, slots.Count);
        Assert.False(Rig.PteOf(r.P0, a).Present);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_pinned_or_shared_THP_stays_mapped(bool pinned)
    {
        var r = new Rig("v6.15");
        var a = r.MapThp();
        if (pinned)
        {
            Assert.Equal(Status.Done, r.K.Pin(r.T0, a, 4096, Flag.Rw | Flag.LongTerm, out _));
        }
        else
        {
            r.Fork(r.T0, 1);
        }

        Assert.Equal(Status.Done, r.K.Madvise(r.T0, a, Thp, Flag.PageOut));

        Assert.NotNull(r.P0.Table(a)!.Huge);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_range_that_covers_part_of_a_THP_splits_it_and_swaps_out_only_the_covered_page(bool pteMapped)
    {
        var r = new Rig("v6.15");
        var a = r.MapThp();
        var thp = Rig.FolioOf(r.P0, a);
        r.Store(r.T0, a + 4096);
        var written = r.Load(r.T0, a + 4096);
        if (pteMapped)
        {
            Assert.Equal(Status.Done, r.K.Mprotect(r.T0, a, 4096, Flag.R, null));
            Assert.Equal(Status.Done, r.K.Mprotect(r.T0, a, 4096, Flag.Rw, null));
        }

        Assert.Equal(Status.Done, r.K.Madvise(r.T0, a, 4096, Flag.PageOut));

        Assert.True(thp.Freed);
        Assert.Null(r.P0.Table(a)!.Huge);
        Assert.True(Rig.PteOf(r.P0, a).IsSwap);
        var rest = Rig.PteOf(r.P0, a + 4096);
        Assert.True(rest.Present);
        Assert.False(rest.Folio!.Large);
        Assert.True(rest.Folio.Exclusive[0]);
        Assert.Equal(1, rest.Folio.Mapcount(0));
        Assert.NotEqual(0UL, written);
        Assert.Equal(written, r.Load(r.T0, a + 4096));
    }

    [Theory]
    // cow.c's "vmsplice() + unmap in child with swapped-out THP": after pageout the THP is base pages in swap, so the
    // leak is do_swap_page's (5.7, and 5.9-rc4 to 5.12, as s2-vmsplice-swap), not the THP fault's.
    [InlineData("2M", "a", "v5.7 v5.9-rc4 v5.9 v5.11 v5.12", "cross-process-visibility in do_swap_page: reuse by mapcount+swapcount [swap]")]
    // A partial pageout splits the THP: the page paged out leaks the same way.
    [InlineData("4K", "a", "v5.7 v5.9-rc4 v5.9 v5.11 v5.12", "cross-process-visibility in do_swap_page: reuse by mapcount+swapcount [swap]")]
    // Its neighbour stayed mapped, split off the THP: a base page, so only 5.7's mapcount reuse leaks (s1-vmsplice-base).
    [InlineData("4K", "a+4K", "v5.7", "cross-process-visibility in do_wp_page: reuse by mapcount [base]")]
    public void A_spliced_page_of_a_paged_out_THP_leaks_as_a_base_page(string pageout, string spliced, string profiles, string signature)
    {
        var text = $"""
            a = mmap(2M, rw, private)
            madvise(a, 2M, hugepage)
            memset(a, 2M, 1)
            madvise(a, {pageout}, pageout)
            t1 = fork()
            t1: p = pipe()
            t1: vmsplice(p, {spliced}, 4K)
            t1: munmap(a, 2M)
            store({spliced}, 2)
            t1: read(p, 4K)
            """;
        var program = ProgramParser.Parse(text);
        var executor = new Executor();
        var violating = Rig.ViolatingProfiles(program);
        Assert.Equal(profiles, string.Join(' ', violating));
        Assert.Equal(signature, Assert.Single(executor.Run(program, KernelProfile.Parse("v5.7")).Violations).Signature);
    }

    [Theory]
    [InlineData("v5.12", false)]
    [InlineData("v6.15", true)]
    public void A_THP_that_cannot_be_split_ends_the_walk_of_its_table_until_6_10(string profile, bool pagedOut)
    {
        // The pin holds a reference beyond the PTE-mapped THP's mappings, so its split fails; the base page at +1M,
        // under the same table, is paged out only when the walk goes on past the THP.
        var r = new Rig(profile);
        var a = r.MapThp();
        Assert.Equal(Status.Done, r.K.Madvise(r.T0, a + (1 << 20), 1 << 20, Flag.DontNeed));
        r.Store(r.T0, a + (1 << 20));
        Assert.Equal(Status.Done, r.K.Pin(r.T0, a, 4096, Flag.Rw | Flag.LongTerm, out _));

        Assert.Equal(Status.Done, r.K.Madvise(r.T0, a, Thp, Flag.PageOut));

        Assert.True(Rig.PteOf(r.P0, a).Present);
        Assert.Equal(pagedOut, Rig.PteOf(r.P0, a + (1 << 20)).IsSwap);
    }

    [Fact]
    public void Pageout_of_a_hugetlb_mapping_fails_with_EINVAL_and_changes_nothing()
    {
        var r = new Rig("v6.15");
        var a = r.Map(Thp, Flag.Private | Flag.Hugetlb);
        r.Store(r.T0, a);
        Assert.Equal(Status.Failed, r.K.Madvise(r.T0, a, Thp, Flag.PageOut));
        Assert.Contains("EINVAL", r.K.Error, StringComparison.Ordinal);
        Assert.NotNull(r.P0.Table(a)!.Huge);
    }
}
