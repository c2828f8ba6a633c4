using FuzzFarm.Programs;
using Xunit;

namespace FuzzFarm.Machine.Tests;

/// <summary>
/// 5.11's reclaim refuses to add a maybe-pinned page to the swapcache (kernel-history.md §1 #14); a pinned page a pipe
/// already kept in the swapcache is unmapped as any other, and its swap-in reuses it by mapcount + swapcount (5.11,
/// 5.12), so the pin stays coherent. 5.18's page_count swap-in copies it; 5.19's try_to_unmap keeps an exclusive
/// pinned page mapped.
/// </summary>
public class PinnedSwapcacheTests
{
    private const string PinnedInSwapcache = """
        a = mmap(4K, rw, private)
        store(a, 1)
        p = pipe()
        vmsplice(p, a, 4K)
        madvise(a, 4K, pageout)
        load(a)
        h = pin(a, 4K, r|longterm)
        madvise(a, 4K, pageout)
        store(a, 2)
        dma_read(h, 0)
        """;

    [Fact]
    public void A_pinned_page_already_in_the_swapcache_loses_the_write_only_where_swap_in_copies_by_page_count()
    {
        var program = ProgramParser.Parse(PinnedInSwapcache);

        var violating = Rig.ViolatingProfiles(program);

        Assert.Equal(["v5.18"], violating);
    }

    [Theory]
    [InlineData("v5.11", true)]
    [InlineData("v5.12", true)]
    [InlineData("v5.19", false)]
    public void Pageout_unmaps_a_pinned_page_already_in_the_swapcache_until_anon_exclusive(string profile, bool unmapped)
    {
        var r = new Rig(profile);
        var a = r.Map(4096);
        r.Store(r.T0, a);
        var pipe = r.K.NewPipe();
        Assert.Equal(Status.Done, r.K.Vmsplice(r.T0, pipe, a, 4096, 0));
        Assert.Equal(Status.Done, r.K.Madvise(r.T0, a, 4096, Flag.PageOut));
        r.Load(r.T0, a);
        var f = Rig.FolioOf(r.P0, a);
        Assert.True(f.SwapCache);
        Assert.Equal(Status.Done, r.K.Pin(r.T0, a, 4096, Flag.R | Flag.LongTerm, out _));

        Assert.Equal(Status.Done, r.K.Madvise(r.T0, a, 4096, Flag.PageOut));

        Assert.Equal(unmapped, Rig.PteOf(r.P0, a).IsSwap);
    }

    [Fact]
    public void Pageout_keeps_a_pinned_page_out_of_the_swapcache_from_5_11()
    {
        var r = new Rig("v5.11");
        var a = r.Map(4096);
        r.Store(r.T0, a);
        Assert.Equal(Status.Done, r.K.Pin(r.T0, a, 4096, Flag.R | Flag.LongTerm, out _));

        Assert.Equal(Status.Done, r.K.Madvise(r.T0, a, 4096, Flag.PageOut));

        Assert.True(Rig.PteOf(r.P0, a).Present);
        Assert.False(Rig.FolioOf(r.P0, a).SwapCache);
    }
}
