using FuzzFarm.Programs;
using Xunit;

namespace FuzzFarm.Machine.Tests;

/// <summary>
/// mprotect(PROT_READ|PROT_WRITE) maps an exclusive anon page writable without a fault from 6.0
/// (can_change_pte_writable: a dirty PTE only); 6.2 drops the dirty requirement and does the same for a PMD-mapped
/// THP (can_change_pmd_writable). Before 6.0 the write waits for a fault.
/// </summary>
public class MprotectWritableTests
{
    [Theory]
    [InlineData("v5.19", false)]
    [InlineData("v6.0", true)]
    [InlineData("v6.2", true)]
    public void A_dirty_exclusive_PTE_comes_back_writable_from_6_0(string profile, bool writable)
    {
        var r = new Rig(profile);
        var a = r.Map(4096);
        r.Store(r.T0, a);

        Assert.Equal(writable, WritableAfterMprotect(r, a));
    }

    [Theory]
    // The page a R/O long-term pin unshares out of the zero page (6.2+) is exclusive and clean.
    [InlineData("v6.2+mprotect_writable=exclusive_dirty", false)]
    [InlineData("v6.2", true)]
    [InlineData("v6.15", true)]
    public void A_clean_exclusive_PTE_comes_back_writable_from_6_2(string profile, bool writable)
    {
        var r = new Rig(profile);
        var a = r.Map(4096);
        Assert.Equal(Status.Done, r.K.Pin(r.T0, a, 4096, Flag.R | Flag.LongTerm, out _));
        var pte = Rig.PteOf(r.P0, a);
        Assert.True(pte.Folio!.Anon && pte.Folio.Exclusive[0] && (pte.Flags & PteFlags.Dirty) == 0);

        Assert.Equal(writable, WritableAfterMprotect(r, a));
    }

    [Theory]
    [InlineData("v6.0", false)]
    [InlineData("v6.2", true)]
    [InlineData("v6.15", true)]
    public void An_exclusive_PMD_mapped_THP_comes_back_writable_from_6_2(string profile, bool writable)
    {
        var r = new Rig(profile);
        var a = r.MapThp();
        Assert.Equal(Status.Done, r.K.Mprotect(r.T0, a, 2 << 20, Flag.R, null));
        Assert.Equal(Status.Done, r.K.Mprotect(r.T0, a, 2 << 20, Flag.Rw, null));

        var table = r.P0.Table(a)!;
        Assert.NotNull(table.Huge);
        Assert.Equal(writable, (table.HugeFlags & PteFlags.Write) != 0);
    }

    private static bool WritableAfterMprotect(Rig r, ulong a)
    {
        Assert.Equal(Status.Done, r.K.Mprotect(r.T0, a, 4096, Flag.R, null));
        Assert.Equal(Status.Done, r.K.Mprotect(r.T0, a, 4096, Flag.Rw, null));
        return Rig.PteOf(r.P0, a).Writable;
    }
}
