using FuzzFarm.Programs;
using Xunit;

namespace FuzzFarm.Machine.Tests;

/// <summary>
/// From 6.11 do_swap_page maps an exclusive page writable on a read fault too (clean), unless soft-dirty tracking or
/// uffd-wp needs the write to fault; before, a read fault mapped it read-only and the write faulted into do_wp_page.
/// </summary>
public class SwapinWritableTests
{
    [Theory]
    [InlineData("v6.2", false, false)]
    [InlineData("v6.15", false, true)]
    [InlineData("v6.15", true, false)]
    public void A_read_fault_swaps_an_exclusive_page_in_writable_from_6_11(string profile, bool tracked, bool writable)
    {
        var r = new Rig(profile);
        var a = r.Map(4096);
        r.Store(r.T0, a);
        if (tracked)
        {
            Assert.Equal(Status.Done, r.K.ClearRefs(r.T0, r.T0, null));
        }
        Assert.Equal(Status.Done, r.K.Madvise(r.T0, a, 4096, Flag.PageOut));

        r.Load(r.T0, a);

        var pte = Rig.PteOf(r.P0, a);
        Assert.Equal(writable, pte.Writable);
        Assert.Equal(PteFlags.None, pte.Flags & PteFlags.Dirty);
    }
}
