using FuzzFarm.Programs;
using Xunit;

namespace FuzzFarm.Machine.Tests;

/// <summary>
/// hugetlb_no_page maps a page of a shared writable hugetlb VMA writable and dirty whatever the fault
/// (make_huge_pte's writable argument is VM_WRITE &amp;&amp; VM_SHARED, unchanged from 2.6 to the folio era): a read
/// fault leaves the CPU a writable translation, so a later store needs no fault of its own.
/// </summary>
public class HugetlbSharedFaultTests
{
    [Theory]
    [InlineData("v5.7", Flag.Rw, true)]
    [InlineData("v6.15", Flag.Rw, true)]
    [InlineData("v6.15", Flag.R, false)]
    public void A_read_fault_maps_a_shared_hugetlb_page_writable_when_the_mapping_is(string profile, Flag prot, bool writable)
    {
        var r = new Rig(profile);
        var a = r.Map(2 << 20, Flag.Shared | Flag.Hugetlb, prot);
        r.Load(r.T0, a);

        var flags = r.P0.Table(a)!.HugeFlags;
        Assert.Equal(writable, (flags & PteFlags.Write) != 0);
        Assert.Equal(writable, (flags & PteFlags.Dirty) != 0);
    }
}
