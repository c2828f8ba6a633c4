using FuzzFarm.Programs;
using Xunit;

namespace FuzzFarm.Machine.Tests;

/// <summary>
/// A huge PMD is write-protected through pmdp_invalidate, which flushes its range at once (clear_soft_dirty_pmd in
/// every release, change_huge_pmd until 5.19): the missing or deferred flushes of clear_refs (#0) and, until 5.19,
/// mprotect leave stale entries for PTEs only. From 5.19 change_huge_pmd's pmdp_invalidate_ad leaves the PMD's flush
/// to mprotect's own, at the end of the call.
/// </summary>
public class PmdInvalidateTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Write_protecting_a_PMD_mapped_THP_leaves_no_TLB_entry_for_it_even_before_the_final_flush(bool clearRefs)
    {
        foreach (var profile in KernelProfile.Named.Where(k => clearRefs || !k.PmdFlushDeferred))
        {
            var r = new Rig(profile.Name);
            var a = r.MapThp();
            r.Store(r.T0, a + 8);
            Assert.True(r.T0.Tlb.TryFind(a >> 12, out _));
            // Split at the op's preemption point: after the page-table change, before its own TLB flush.
            var split = new AsyncOp();
            split.Reset(1, clearRefs ? AsyncKind.ClearRefs : AsyncKind.Mprotect, r.T0, r.P0);
            var status = clearRefs
                ? r.K.ClearRefs(r.T0, r.T0, split)
                : r.K.Mprotect(r.T0, a, 2 << 20, Flag.R, split);
            Assert.Equal(Status.Pending, status);

            Assert.NotNull(r.P0.Table(a)!.Huge);
            Assert.False(r.T0.Tlb.TryFind(a >> 12, out _), $"{profile.Name}: a TLB entry for the THP survived {(clearRefs ? "clear_refs" : "mprotect")}");
        }
    }

    [Theory]
    [InlineData("v5.18", "0")]
    [InlineData("v5.19", "P0.t1@line7")]
    public void From_5_19_a_store_through_the_PMDs_stale_entry_lands_inside_a_split_mprotect(string profile, string seen)
    {
        Assert.Equal(seen, Rig.LastSeen("""
            a = mmap(2M, rw, private)
            madvise(a, 2M, hugepage)
            store(a, 1)
            t1 = thread()
            t1: store(a+8, 2)
            m = mprotect(a, 2M, r) &
            t1: store(a+16, 3)
            wait(m)
            load(a+16)
            """, profile));
    }

    [Fact]
    public void A_write_after_clear_refs_on_a_PMD_mapped_THP_is_kept_and_seen_by_soft_dirty_on_every_profile()
    {
        var program = ProgramParser.Parse("""
            a = mmap(2M, rw, private)
            madvise(a, 2M, hugepage)
            store(a, 1)
            clear_refs(t0)
            store(a+8, 2)
            pagemap(a)
            """);

        var violating = Rig.ViolatingProfiles(program);

        Assert.Empty(violating);
    }
}
