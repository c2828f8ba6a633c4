using FuzzFarm.Programs;
using Xunit;

namespace FuzzFarm.Machine.Tests;

/// <summary>
/// A huge PMD is write-protected through pmdp_invalidate, which flushes its range at once (clear_soft_dirty_pmd,
/// change_huge_pmd): the missing or deferred flushes of clear_refs (#0) and mprotect leave stale entries for PTEs only.
/// </summary>
public class PmdInvalidateTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Write_protecting_a_PMD_mapped_THP_leaves_no_TLB_entry_for_it_even_before_the_final_flush(bool clearRefs)
    {
        foreach (var profile in KernelProfile.Named)
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
