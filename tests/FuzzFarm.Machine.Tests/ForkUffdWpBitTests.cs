using FuzzFarm.Programs;
using Xunit;

namespace FuzzFarm.Machine.Tests;

/// <summary>
/// Before 5.14 fork decided whether the child's copy of a present PTE or PMD keeps its uffd-wp bit by the parent's
/// VMA (8f34f1eac382, point 1), so in a registered range the child inherits the protection without the registration.
/// It bites once the child registers the range itself, or once the page goes to swap and comes back write-protected.
/// </summary>
public class ForkUffdWpBitTests
{
    [Fact]
    public void A_child_that_registers_the_range_finds_the_parents_protection_and_5_8s_forced_write_hangs_on_it()
    {
        var program = ProgramParser.Parse("""
            a = mmap(4K, rw, private)
            store(a, 1)
            u = uffd()
            uffd_register(u, a, 4K)
            uffd_wp(u, a, 4K, on)
            t1 = fork()
            t1: u2 = uffd()
            t1: uffd_register(u2, a, 4K)
            t1: p = pipe()
            t1: vmsplice(p, a, 4K)
            t1: load(a)
            """);

        Assert.Equal(["v5.8"], Rig.ViolatingProfiles(program));
    }

    [Fact]
    public void A_leftover_bit_that_swap_keeps_makes_the_childs_swap_in_read_only_so_its_write_copies_under_o_direct()
    {
        // The child's reuse keeps the bit, pageout moves it into the swap entry (the page stays in the swapcache for
        // the O_DIRECT reference), and the write-fault swap-in maps it read-only: do_wp_page copies by page_count and
        // the DMA lands in the old page. From 5.14 only the page_count swap-in rule of 5.18 does it.
        var program = ProgramParser.Parse("""
            a = mmap(4K, rw, private)
            store(a, 1)
            u = uffd()
            uffd_register(u, a, 4K)
            uffd_wp(u, a, 4K, on)
            t1 = fork()
            munmap(a, 4K)
            t1: store(a+8, 2)
            t1: f = file(4K)
            t1: t2 = thread()
            t2: io = pread_direct(f, 0, a, 512) &
            t1: madvise(a, 4K, pageout)
            t1: store(a+4088, 3)
            t2: wait(io)
            t1: load(a)
            """);

        Assert.Equal(["v5.9-rc4", "v5.9", "v5.11", "v5.12", "v5.18"], Rig.ViolatingProfiles(program));
    }

    [Theory]
    [InlineData("v5.12", true)]
    [InlineData("v5.18", false)]
    public void The_childs_PMD_keeps_the_bit_before_5_14(string profile, bool kept)
    {
        var r = new Rig(profile);
        var a = r.MapThp();
        r.WriteProtect(a, 2 << 20);

        var child = r.Fork(r.T0, 1);

        Assert.Equal(kept, (child.Process.Table(a)!.HugeFlags & PteFlags.UffdWp) != 0);
    }
}
