using FuzzFarm.Programs;
using Xunit;

namespace FuzzFarm.Machine.Tests;

/// <summary>
/// VMAs as the kernel keeps them: a change that leaves a VMA as it was splits nothing, and pieces of one mapping that
/// end up alike are merged again (vma_merge), so a THP can still back the range.
/// </summary>
public class VmaMergeTests
{
    [Theory]
    [InlineData("madvise(a, 1M, hugepage)\nmadvise(a+1M, 1M, hugepage)")]
    [InlineData("madvise(a, 2M, hugepage)\nmprotect(a, 4K, r)\nmprotect(a, 4K, rw)")]
    public void A_range_split_and_restored_is_one_thp_again(string setup)
    {
        // S2's THP leak, reached once the halves are one VMA again.
        var program = ProgramParser.Parse($"""
            a = mmap(2M, rw, private)
            {setup}
            store(a, 1)
            t1 = fork()
            t1: p = pipe()
            t1: vmsplice(p, a, 4K)
            t1: munmap(a, 2M)
            store(a, 2)
            t1: read(p, 4K)
            """);

        Assert.Equal(["v5.7", "v5.9-rc4", "v5.9", "v5.11", "v5.12"], Rig.ViolatingProfiles(program));
    }

    [Fact]
    public void An_mprotect_or_madvise_that_changes_nothing_leaves_the_pmd_and_the_vma_whole()
    {
        var r = new Rig("v5.9");
        var a = r.MapThp();

        Assert.Equal(Status.Done, r.K.Mprotect(r.T0, a + 4096, 4096, Flag.Rw, null));
        Assert.Equal(Status.Done, r.K.Madvise(r.T0, a, 4096, Flag.HugePage));

        Assert.NotNull(r.P0.Table(a)!.Huge);
        Assert.Single(r.P0.Vmas);
    }

    [Fact]
    public void Hugetlb_vmas_are_never_merged_and_a_munmap_past_their_end_needs_no_split()
    {
        var r = new Rig("v5.9");
        var a = r.Map(4 << 20, Flag.Private | Flag.Hugetlb);
        Assert.Equal(Status.Done, r.K.Mprotect(r.T0, a, 2 << 20, Flag.R, null));
        Assert.Equal(Status.Done, r.K.Mprotect(r.T0, a, 2 << 20, Flag.Rw, null));
        Assert.Equal(2, r.P0.Vmas.Count);

        Assert.Equal(Status.Done, r.K.Munmap(r.T0, a + (2 << 20), (2 << 20) + 4096));
        Assert.Single(r.P0.Vmas);
    }

    [Theory]
    [InlineData("mprotect(a, 2M, r)")]
    [InlineData("munmap(a, 2M)")]
    public void A_vma_boundary_at_a_2m_aligned_address_leaves_the_thp_after_it_whole(string change)
    {
        // S2's THP leak on the second of two THPs, after a change to the first: vma_adjust_trans_huge splits a PMD
        // only at an unaligned boundary.
        var program = ProgramParser.Parse($"""
            a = mmap(4M, rw, private)
            madvise(a, 4M, hugepage)
            store(a, 1)
            store(a+2M, 1)
            {change}
            t1 = fork()
            t1: p = pipe()
            t1: vmsplice(p, a+2M, 4K)
            t1: munmap(a+2M, 2M)
            store(a+2M, 2)
            t1: read(p, 4K)
            """);

        Assert.Equal(["v5.7", "v5.9-rc4", "v5.9", "v5.11", "v5.12"], Rig.ViolatingProfiles(program));
    }
}
