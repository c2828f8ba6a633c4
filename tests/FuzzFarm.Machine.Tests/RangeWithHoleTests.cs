using FuzzFarm.Programs;
using Xunit;

namespace FuzzFarm.Machine.Tests;

/// <summary>
/// mprotect and madvise over a range with a hole. do_mprotect_pkey changes VMA after VMA and stops at the hole with
/// ENOMEM; madvise_walk_vmas advises every mapped VMA of the range and returns ENOMEM at the end. Either way what was
/// changed stays changed, so a program that ignores the error still runs on the changed mappings.
/// </summary>
public class RangeWithHoleTests
{
    [Fact]
    public void An_empty_range_is_nothing_to_do_for_mprotect_and_madvise_and_EINVAL_for_munmap()
    {
        var r = new Rig("v6.15");
        var a = r.Map(4096);

        Assert.Equal(Status.Done, r.K.Mprotect(r.T0, a, 0, Flag.R, null));
        Assert.Equal(Status.Done, r.K.Madvise(r.T0, a, 0, Flag.DontNeed));
        Assert.Equal(Status.Failed, r.K.Munmap(r.T0, a, 0));
        Assert.True(r.P0.FindVma(a)!.Write);
    }

    private static Rig WithHole(out ulong a)
    {
        var r = new Rig("v6.15");
        a = r.Map(12 << 10);
        Assert.Equal(Status.Done, r.K.Munmap(r.T0, a + 0x1000, 0x1000));
        return r;
    }

    [Fact]
    public void Mprotect_changes_up_to_the_hole_and_fails()
    {
        var r = WithHole(out var a);

        Assert.Equal(Status.Failed, r.K.Mprotect(r.T0, a, 12 << 10, Flag.R, null));
        Assert.StartsWith("ENOMEM", r.K.Error);
        Assert.False(r.P0.FindVma(a)!.Write);
        Assert.True(r.P0.FindVma(a + 0x2000)!.Write);
    }

    [Fact]
    public void Mprotect_starting_in_a_hole_changes_nothing()
    {
        var r = WithHole(out var a);

        Assert.Equal(Status.Failed, r.K.Mprotect(r.T0, a + 0x1000, 8 << 10, Flag.R, null));
        Assert.True(r.P0.FindVma(a + 0x2000)!.Write);
    }

    [Fact]
    public void Madvise_advises_every_mapped_piece_and_fails()
    {
        var r = WithHole(out var a);

        Assert.Equal(Status.Failed, r.K.Madvise(r.T0, a, 12 << 10, Flag.DontFork));
        Assert.StartsWith("ENOMEM", r.K.Error);
        Assert.True(r.P0.FindVma(a)!.DontCopy);
        Assert.True(r.P0.FindVma(a + 0x2000)!.DontCopy);
    }

    [Fact]
    public void Dontneed_over_a_hole_discards_both_sides()
    {
        var r = WithHole(out var a);
        r.Store(r.T0, a);
        r.Store(r.T0, a + 0x2000);

        Assert.Equal(Status.Failed, r.K.Madvise(r.T0, a, 12 << 10, Flag.DontNeed));
        Assert.Equal(0UL, r.Load(r.T0, a));
        Assert.Equal(0UL, r.Load(r.T0, a + 0x2000));
        Assert.Equal([(a, a + 0x1000), (a + 0x2000, a + 0x3000)], r.K.Discarded);
    }

    [Fact]
    public void A_hugetlb_mapping_already_as_asked_is_not_split_so_any_range_will_do()
    {
        var r = new Rig("v6.15");
        var a = r.Map(2 << 20, Flag.Private | Flag.Hugetlb);

        Assert.Equal(Status.Done, r.K.Mprotect(r.T0, a + 0x1000, 0x1000, Flag.Rw, null));
        Assert.Equal(Status.Failed, r.K.Mprotect(r.T0, a + 0x1000, 0x1000, Flag.R, null));
        Assert.StartsWith("EINVAL", r.K.Error);
    }

    [Fact]
    public void A_refused_hugetlb_split_changes_and_splits_nothing()
    {
        // fuzz-latest at c4795c1: the refused mprotect still split the VMA at its start, so the munmap after it passed
        // the 2M check and tore a hugetlb page in two.
        var r = new Rig("v6.15");
        var a = r.Map(2 << 20, Flag.Private | Flag.Hugetlb);

        Assert.Equal(Status.Failed, r.K.Mprotect(r.T0, a + 0x1ff000, 0x1000, Flag.ProtNone, null));
        Assert.Single(r.P0.Vmas);
        Assert.Equal(Status.Failed, r.K.Munmap(r.T0, a + 0x1ff000, 0x1000));
    }

    [Theory]
    // The mprotect pair ends on the pinned page as if there were no hole: the store copies away from the R/O pin
    // where page_count decides and the page is not known exclusive (pin-mprotect-rewrite's window).
    [InlineData("""
        a = mmap(12K, rw, private)
        store(a, 1)
        h = pin(a, 4K, r|longterm)
        munmap(a+0x1000, 4K)
        mprotect(a, 12K, r)
        mprotect(a, 4K, rw)
        store(a, 2)
        dma_read(h, 0)
        """, new[] { "v5.9-rc4", "v5.9", "v5.11", "v5.12", "v5.18" })]
    // dontfork reached the pinned page before the hole: the child gets nothing, so the parent's store never copies.
    [InlineData("""
        a = mmap(12K, rw, private)
        store(a, 1)
        h = pin(a, 4K, rw|longterm)
        munmap(a+0x1000, 4K)
        madvise(a, 12K, dontfork)
        t1 = fork()
        store(a, 2)
        dma_write(h, 8, 3)
        load(a+8)
        """, new string[0])]
    public void A_failed_call_keeps_what_it_changed(string program, string[] expected)
    {
        Assert.Equal(expected, Rig.ViolatingProfiles(ProgramParser.Parse(program + "\n")));
    }
}
