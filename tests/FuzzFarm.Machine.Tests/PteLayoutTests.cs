using System.Runtime.CompilerServices;
using FuzzFarm.Programs;
using Xunit;

namespace FuzzFarm.Machine.Tests;

/// <summary>A PTE keeps its subpage and a swap entry's slot in one field: each kind of entry still reads as itself.</summary>
public class PteLayoutTests
{
    [Fact]
    public void EntryIsSixteenBytes() => Assert.Equal(16, Unsafe.SizeOf<Pte>());

    [Fact]
    public void PresentEntryOfALateSubpageIsNoSwapEntry()
    {
        var pte = new Pte { Folio = new Folio(Geometry.PmdNr), Sub = 511, Flags = PteFlags.Present };
        Assert.False(pte.IsSwap);
        Assert.False(pte.IsNone);
        Assert.Equal(511, pte.Sub);
    }

    [Fact]
    public void SwapEntryKeepsItsSlotAndNoneIsNeither()
    {
        var swap = new Pte { SwapSlot = 0 };
        Assert.True(swap.IsSwap);
        Assert.False(swap.IsNone);
        Assert.Equal(0, swap.SwapSlot);
        var none = default(Pte);
        Assert.True(none.IsNone);
        Assert.False(none.IsSwap);
    }

    [Fact]
    public void SubpagesOfAPagedOutThpComeBackAsTheirOwnPages()
    {
        var r = new Rig("latest");
        var a = r.MapThp();
        for (var i = 0; i < 4; i++)
        {
            r.Store(r.T0, a + ((ulong)(100 + i) << 12));
        }
        Assert.Equal(Status.Done, r.K.Madvise(r.T0, a, 2 << 20, Flag.PageOut));
        Assert.True(Rig.PteOf(r.P0, a + (101UL << 12)).IsSwap);
        var seen = new HashSet<ulong>();
        for (var i = 0; i < 4; i++)
        {
            var page = a + ((ulong)(100 + i) << 12);
            Assert.True(seen.Add(r.Load(r.T0, page)));
            Assert.Equal(0, Rig.PteOf(r.P0, page).Sub);
            Assert.False(Rig.PteOf(r.P0, page).IsSwap);
        }
    }
}
