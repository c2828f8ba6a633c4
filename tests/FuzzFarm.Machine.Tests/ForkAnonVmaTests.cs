using FuzzFarm.Programs;
using Xunit;

namespace FuzzFarm.Machine.Tests;

/// <summary>
/// copy_page_range skips a private VMA without an anon_vma (vma_needs_copy), and a read fault that maps the zero page
/// prepares none: the child of a process that has only read its memory gets no page table there and faults afresh.
/// </summary>
public class ForkAnonVmaTests
{
    [Fact]
    public void A_child_gets_no_table_for_memory_its_parent_only_read()
    {
        var r = new Rig("v6.15");
        var a = r.Map(4096);
        r.Load(r.T0, a);

        var child = r.Fork(r.T0, 1);

        Assert.Null(child.Process.Table(a));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_private_page_or_a_copy_of_the_zero_page_gives_the_vma_an_anon_vma_that_fork_copies(bool copyOfZero)
    {
        var r = new Rig("v6.15");
        var a = r.Map(4096);
        if (copyOfZero)
        {
            r.Load(r.T0, a);
        }
        r.Store(r.T0, a);

        var child = r.Fork(r.T0, 1);

        Assert.Same(Rig.FolioOf(r.P0, a), Rig.FolioOf(child.Process, a));
    }

    [Fact]
    public void The_huge_zero_page_prepares_one_so_fork_shares_its_pmd()
    {
        var r = new Rig("v6.15");
        var a = r.Map(2 << 20);
        Assert.Equal(Status.Done, r.K.Madvise(r.T0, a, 2 << 20, Flag.HugePage));
        r.Load(r.T0, a);

        var child = r.Fork(r.T0, 1);

        Assert.NotNull(child.Process.Table(a)?.Huge);
    }

    [Fact]
    public void The_childs_first_write_to_read_only_thp_memory_then_gets_its_own_thp_and_the_vmsplice_leak_follows()
    {
        // With the zero PTE copied the child's write took a base page (a copy of the zero page), and the THP leak
        // below never happened; without it the child's empty PMD gets a THP, which its own child shares and splices.
        var program = ProgramParser.Parse("""
            a = mmap(2M, rw, private)
            load(a)
            madvise(a, 2M, hugepage)
            t1 = fork()
            t1: store(a, 1)
            t1: t2 = fork()
            t2: p = pipe()
            t2: vmsplice(p, a, 2M)
            t2: munmap(a, 2M)
            t1: store(a, 2)
            t2: read(p, 8)
            """);

        Assert.Equal(["v5.7", "v5.9-rc4", "v5.9", "v5.11", "v5.12"], Rig.ViolatingProfiles(program));
    }

    [Fact]
    public void A_child_without_the_table_has_no_uffd_wp_bit_to_inherit_before_5_14()
    {
        var program = ProgramParser.Parse("""
            a = mmap(4K, rw, private)
            load(a)
            u = uffd()
            uffd_register(u, a, 4K)
            uffd_wp(u, a, 4K, on)
            t1 = fork()
            t1: v = uffd()
            t1: uffd_register(v, a, 4K)
            t1: t2 = thread()
            t2: store(a, 5)
            t1: load(a)
            """);

        var result = new FuzzFarm.Oracle.Executor().Run(program, KernelProfile.Parse("v5.12"));

        Assert.Empty(result.Skipped);
        Assert.Equal("P1.t2@line10", Assert.Single(result.Observations, o => o.Line == 11).Values.Single());
    }
}
