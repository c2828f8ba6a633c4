using FuzzFarm.Programs;
using Xunit;

namespace FuzzFarm.Machine.Tests;

/// <summary>
/// Paths on which releases before 6.2-6.4 lost a page's uffd-wp protection, so a write the handler should have seen
/// went through: a split of a protected huge zero PMD, hugetlb's unshare copy, and mprotect on a registered shared
/// VMA without write-notify. Each program's last load reads the write when the protection was lost.
/// </summary>
public class UffdWpBitLossTests
{
    [Theory]
    [InlineData("v6.2", "P0.t1@line9")]
    [InlineData("v6.15", "0")]
    public void Unprotecting_one_page_of_a_huge_zero_pmd_unprotects_the_rest_until_6_3(string profile, string seen)
    {
        Assert.Equal(seen, Rig.LastSeen("""
            a = mmap(2M, rw, private)
            madvise(a, 2M, hugepage)
            load(a)
            u = uffd()
            uffd_register(u, a, 2M)
            uffd_wp(u, a, 2M, on)
            uffd_wp(u, a, 4K, off)
            t1 = thread()
            t1: store(a+0x2000, 3)
            load(a+0x2000)
            """, profile));
    }

    [Theory]
    [InlineData("v6.2", "P0.t0@line9")]
    [InlineData("v6.15", "P0.t0@line2")]
    public void A_read_only_pin_that_unshares_a_protected_hugetlb_page_drops_the_protection_until_6_4(string profile, string seen)
    {
        Assert.Equal(seen, Rig.LastSeen("""
            a = mmap(2M, rw, private|hugetlb)
            store(a, 1)
            t2 = thread()
            t2: u = uffd()
            t2: uffd_register(u, a, 2M)
            t2: uffd_wp(u, a, 2M, on)
            t1 = fork()
            h = pin(a, 4K, r)
            store(a, 2)
            t2: load(a)
            """, profile));
    }

    [Theory]
    [InlineData("v5.18", "P0.t1@line9")]
    [InlineData("v6.0", "P0.t1@line9")]
    [InlineData("v6.2", "P0.t0@line2")]
    public void Mprotect_makes_protected_shared_pages_writable_until_6_2(string profile, string seen)
    {
        // Before 5.19 the shared mapping cannot be registered at all, so nothing protects it there either.
        Assert.Equal(seen, Rig.LastSeen("""
            a = mmap(4K, rw, shared)
            store(a, 1)
            u = uffd()
            uffd_register(u, a, 4K)
            uffd_wp(u, a, 4K, on)
            mprotect(a, 4K, r)
            mprotect(a, 4K, rw)
            t1 = thread()
            t1: store(a, 2)
            load(a)
            """, profile));
    }
}
