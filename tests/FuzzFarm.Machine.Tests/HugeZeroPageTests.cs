using FuzzFarm.Oracle;
using FuzzFarm.Programs;
using Xunit;

namespace FuzzFarm.Machine.Tests;

/// <summary>
/// The huge zero page: a read fault where a THP could go maps it by PMD (use_zero_page); fork shares it and unmapping
/// drops it without counts; a write allocates a new THP on 5.7 and, from 5.8 (THP COW by split), splits the PMD into
/// zero-page PTEs and copies one base page. cow.c's "R/O longterm GUP pin on huge zeropage" loses the write until 6.2.
/// </summary>
public class HugeZeroPageTests
{
    private const long Thp = 2 << 20;

    private static ulong MapHugeZero(Rig r)
    {
        var a = r.Map(Thp);
        Assert.Equal(Status.Done, r.K.Madvise(r.T0, a, Thp, Flag.HugePage));
        Assert.Equal(0UL, r.Load(r.T0, a + 4096));
        return a;
    }

    [Fact]
    public void A_read_fault_in_a_THP_range_maps_the_huge_zero_page_read_only_and_fork_and_munmap_keep_no_counts()
    {
        var r = new Rig("v6.15");
        var a = MapHugeZero(r);
        var table = r.P0.Table(a)!;
        var zero = table.Huge!;
        Assert.True(zero.Zero);
        Assert.True(zero.Large);
        Assert.Equal(PteFlags.None, table.HugeFlags & PteFlags.Write);

        var child = r.Fork(r.T0, 1);
        Assert.Same(zero, child.Process.Table(a)!.Huge);
        Assert.Equal(Status.Done, r.K.Munmap(child, a, Thp));
        Assert.Equal(Status.Done, r.K.Munmap(r.T0, a, Thp));

        Assert.Equal((0, 0, 0), (zero.RefCount, zero.CompoundMapcount, zero.PinCount));
    }

    [Theory]
    [InlineData("v5.7", true)]
    [InlineData("v5.8", false)]
    [InlineData("v6.2", false)]
    [InlineData("v6.15", true)]
    public void A_write_to_the_huge_zero_page_maps_a_new_THP_on_5_7_and_from_6_13_and_a_base_page_after_a_split_between(string profile, bool newThp)
    {
        var r = new Rig(profile);
        var a = MapHugeZero(r);

        r.Store(r.T0, a);

        var table = r.P0.Table(a)!;
        if (newThp)
        {
            Assert.False(table.Huge!.Zero);
            Assert.True((table.HugeFlags & PteFlags.Write) != 0);
            return;
        }
        Assert.Null(table.Huge);
        var written = Rig.PteOf(r.P0, a);
        Assert.False(written.Folio!.Zero || written.Folio.Large);
        Assert.True(written.Writable);
        var neighbour = Rig.PteOf(r.P0, a + 4096);
        Assert.True(neighbour.Folio!.Zero);
        Assert.False(neighbour.Writable);
    }

    [Theory]
    [InlineData("v6.2", false)]
    [InlineData("v6.15", true)]
    public void A_read_only_long_term_pin_unshares_the_huge_zero_page_into_a_new_THP_from_6_13(string profile, bool newThp)
    {
        var r = new Rig(profile);
        var a = MapHugeZero(r);

        Assert.Equal(Status.Done, r.K.Pin(r.T0, a, 4096, Flag.R | Flag.LongTerm, out _));

        Assert.Equal(newThp, r.P0.Table(a)!.Huge is { Zero: false });
    }

    [Fact]
    public void A_read_only_long_term_pin_of_the_huge_zero_page_misses_the_later_write_until_6_2()
    {
        var program = ProgramParser.Parse("""
            a = mmap(2M, rw, private)
            madvise(a, 2M, hugepage)
            load(a)
            h = pin(a, 4K, r|longterm)
            store(a, 1)
            dma_read(h, 0)
            """);
        var executor = new Executor();
        var violating = Rig.ViolatingProfiles(program);
        // 5.8 breaks COW on the read pin itself, as for the base zero page.
        Assert.Equal(["v5.7", "v5.9-rc4", "v5.9", "v5.11", "v5.12", "v5.18", "v5.19", "v6.0"], violating);
        Assert.Equal("lost-write in do_huge_pmd_wp_page: copy of huge zero page [thp]",
            Assert.Single(executor.Run(program, KernelProfile.Parse("v5.7")).Violations).Signature);
    }
}
