using FuzzFarm.Programs;
using Xunit;

namespace FuzzFarm.Machine.Tests;

/// <summary>
/// VMAs as the kernel keeps them: a change that leaves a VMA as it was splits nothing, and pieces of one mapping that
/// end up alike are merged again (vma_merge), so a THP can still back the range.
/// </summary>
public class VmaMergeTests
{
    /// <summary>S2's THP leak on the THP at <paramref name="thp"/>, set up by the lines before: where it shows.</summary>
    private static List<string> S2ThpLeakAt(string setup, string thp) => Rig.ViolatingProfiles(ProgramParser.Parse($"""
        {setup}
        t1 = fork()
        t1: p = pipe()
        t1: vmsplice(p, {thp}, 4K)
        t1: munmap({thp}, 2M)
        store({thp}, 2)
        t1: read(p, 4K)
        """));

    private static readonly string[] S2ThpProfiles = ["v5.7", "v5.9-rc4", "v5.9", "v5.11", "v5.12"];

    [Theory]
    [InlineData("madvise(a, 1M, hugepage)\nmadvise(a+1M, 1M, hugepage)")]
    [InlineData("madvise(a, 2M, hugepage)\nmprotect(a, 4K, r)\nmprotect(a, 4K, rw)")]
    public void A_range_split_and_restored_is_one_thp_again(string setup)
    {
        // Reached once the halves are one VMA again.
        Assert.Equal(S2ThpProfiles, S2ThpLeakAt($"a = mmap(2M, rw, private)\n{setup}\nstore(a, 1)", "a"));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Pieces_whose_anon_vmas_differ_stay_apart_so_no_thp_spans_them(bool both)
    {
        const ulong M = 1 << 20;
        var r = new Rig("v5.9");
        var a = r.Map(8 << 20);
        Assert.Equal(Status.Done, r.K.Madvise(r.T0, a, 8 << 20, Flag.HugePage));
        if (both)
        {
            // Each piece prepares its own anon_vma while their flags differ (anon_vma_compatible fails).
            Assert.Equal(Status.Done, r.K.Madvise(r.T0, a + 3 * M, 5 << 20, Flag.NoHugePage));
            r.Store(r.T0, a);
            r.Store(r.T0, a + 6 * M);
            Assert.Equal(Status.Done, r.K.Madvise(r.T0, a + 3 * M, 5 << 20, Flag.HugePage));
        }
        else
        {
            // Only the piece that changes has one: the target's empty chain is not singular (is_mergeable_anon_vma).
            Assert.Equal(Status.Done, r.K.Mprotect(r.T0, a + 3 * M, 5 << 20, Flag.R, null));
            r.Load(r.T0, a + 6 * M);
            Assert.Equal(Status.Done, r.K.Mprotect(r.T0, a + 3 * M, 5 << 20, Flag.Rw, null));
        }

        r.Store(r.T0, a + 2 * M);

        Assert.Equal(2, r.P0.Vmas.Count);
        Assert.Null(r.P0.Table(a + 2 * M)!.Huge);
    }

    [Fact]
    public void A_fork_childs_pieces_get_anon_vmas_of_their_own_and_stay_apart()
    {
        var r = new Rig("v5.9");
        var a = r.Map(8 << 20);
        Assert.Equal(Status.Done, r.K.Madvise(r.T0, a, 8 << 20, Flag.HugePage));
        r.Store(r.T0, a);
        Assert.Equal(Status.Done, r.K.Mprotect(r.T0, a + (3 << 20), 5 << 20, Flag.R, null));
        var child = r.Fork(r.T0, 1);

        Assert.Equal(Status.Done, r.K.Mprotect(child, a + (3 << 20), 5 << 20, Flag.Rw, null));

        Assert.Equal(2, child.Process.Vmas.Count);
        Assert.NotEqual(r.P0.Vmas[0].AnonVma, child.Process.Vmas[0].AnonVma);
    }

    [Theory]
    [InlineData("v6.2", 3)]
    [InlineData("v6.15", 1)]
    public void Memory_once_made_writable_stays_charged_and_apart_until_6_6_uncharges_it_where_nothing_faulted(string profile, int vmas)
    {
        var r = new Rig(profile);
        var a = r.Map(4 << 20, prot: Flag.R);
        Assert.Equal(Status.Done, r.K.Mprotect(r.T0, a + (1 << 20), 1 << 20, Flag.Rw, null));

        Assert.Equal(Status.Done, r.K.Mprotect(r.T0, a + (1 << 20), 1 << 20, Flag.R, null));

        Assert.Equal(vmas, r.P0.Vmas.Count);
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
        // On the second of two THPs, after a change to the first: vma_adjust_trans_huge splits a PMD only at an
        // unaligned boundary.
        Assert.Equal(S2ThpProfiles, S2ThpLeakAt($"a = mmap(4M, rw, private)\nmadvise(a, 4M, hugepage)\nstore(a, 1)\nstore(a+2M, 1)\n{change}", "a+2M"));
    }
}
