using FuzzFarm.Oracle;
using FuzzFarm.Programs;
using Xunit;

namespace FuzzFarm.Machine.Tests;

/// <summary>
/// MADV_PAGEOUT of a shmem page mapped once: try_to_unmap_one clears the PTE (a file page leaves no swap entry), so
/// its soft-dirty bit is lost; the page stays the object's and a fault maps it again (corpus/open-upstream).
/// </summary>
public class ShmemPageoutTests
{
    private static List<string> Signatures(string text) =>
        [.. new Executor().Run(ProgramParser.Parse(text + "\n"), KernelProfile.Parse("v6.15")).Violations.Select(v => v.Signature)];

    [Fact]
    public void The_page_is_unmapped_and_faults_back_with_its_contents()
    {
        var r = new Rig("v6.15");
        var a = r.Map(4096, Flag.Shared);
        r.Store(r.T0, a);
        var page = Rig.FolioOf(r.P0, a);

        Assert.Equal(Status.Done, r.K.Madvise(r.T0, a, 4096, Flag.PageOut));
        Assert.True(Rig.PteOf(r.P0, a).IsNone);
        Assert.NotEqual(0UL, r.Load(r.T0, a));
        Assert.Same(page, Rig.FolioOf(r.P0, a));
    }

    [Fact]
    public void A_page_mapped_twice_stays()
    {
        var r = new Rig("v6.15");
        var a = r.Map(4096, Flag.Shared);
        r.Store(r.T0, a);
        // Fork copies no PTE of a shared mapping: the child maps the page by its own fault.
        r.Load(r.Fork(r.T0, 1), a);

        Assert.Equal(Status.Done, r.K.Madvise(r.T0, a, 4096, Flag.PageOut));
        Assert.True(Rig.PteOf(r.P0, a).Present);
    }

    [Theory]
    // Mapped again by a read fault, the page has no soft-dirty bit either: the pageout is still the cause.
    [InlineData("load(a)\n")]
    [InlineData("")]
    public void The_lost_bit_is_signed_by_the_pageout_whatever_maps_the_page_again(string after)
    {
        Assert.Equal(["lost-write in try_to_unmap_one: shmem PTE cleared [shmem]"], Signatures($"""
            a = mmap(4K, rw, shared)
            clear_refs(t0)
            store(a, 1)
            madvise(a, 4K, pageout)
            {after}pagemap(a)
            """));
    }

    [Fact]
    public void A_write_after_the_pageout_sets_the_bit_again()
    {
        Assert.Empty(Signatures("""
            a = mmap(4K, rw, shared)
            clear_refs(t0)
            store(a, 1)
            madvise(a, 4K, pageout)
            store(a, 2)
            pagemap(a)
            """));
    }
}
