using FuzzFarm.Programs;
using Xunit;

namespace FuzzFarm.Machine.Tests;

/// <summary>
/// Two hugetlb paths made an entry writable in a VMA without VM_WRITE, and the MMU then lets a store through: 5.8's
/// read GUP forced to write (hugetlb_cow reuses with set_huge_ptep_writable) and, until 6.14, fork's copy of a
/// maybe-pinned hugetlb page (make_huge_pte(..., 1)).
/// </summary>
public class HugetlbWriteBitTests
{
    [Theory]
    [InlineData("v5.8", "P0.t0@line5")]
    [InlineData("v5.9", "0")]
    public void A_forced_write_gup_on_5_8_leaves_a_read_only_hugetlb_mapping_writable(string profile, string seen)
    {
        Assert.Equal(seen, Rig.LastSeen("""
            a = mmap(2M, r, private|hugetlb)
            load(a)
            p = pipe()
            vmsplice(p, a, 8)
            store(a, 7)
            load(a)
            """, profile));
    }

    [Theory]
    [InlineData("v6.2", "P1.t1@line6")]
    [InlineData("v6.15", "P0.t0@line2")]
    public void Forks_copy_of_a_pinned_hugetlb_page_is_writable_in_a_read_only_mapping_until_6_14(string profile, string seen)
    {
        Assert.Equal(seen, Rig.LastSeen("""
            a = mmap(2M, rw, private|hugetlb)
            store(a, 1)
            h = pin(a, 4K, rw|longterm)
            mprotect(a, 2M, r)
            t1 = fork()
            t1: store(a, 5)
            t1: load(a)
            """, profile));
    }
}
