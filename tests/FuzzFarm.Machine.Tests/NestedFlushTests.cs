using FuzzFarm.Oracle;
using FuzzFarm.Programs;
using Xunit;

namespace FuzzFarm.Machine.Tests;

/// <summary>
/// tlb_finish_mmu flushes the whole mm when another thread's batched PTE change still awaits its flush
/// (mm_tlb_flush_nested, mm/mmu_gather.c since 5.2): a zap or a pre-5.12 clear_refs running beside a split uffd_wp,
/// mprotect or clear_refs drops the stale entries the other change left, not only its own range.
/// </summary>
public class NestedFlushTests
{
    private const long Page = 4096;

    [Theory]
    // A zap and a pageout both end with tlb_finish_mmu, whose nested case flushes the whole mm.
    [InlineData("v5.7", Flag.DontNeed)]
    [InlineData("v5.11", Flag.DontNeed)]
    [InlineData("v6.15", Flag.DontNeed)]
    [InlineData("v5.9", Flag.PageOut)]
    [InlineData("v6.15", Flag.PageOut)]
    public void A_zap_or_pageout_beside_a_pending_uffd_wp_flushes_the_other_page_too(string profile, Flag advice)
    {
        var r = TwoWrittenPages(profile, out var a, out var u);
        var op = Split(r, AsyncKind.UffdWp);
        Assert.Equal(Status.Pending, r.K.UffdWp(r.T0, u, a, Page, true, op));
        Assert.True(r.T0.Tlb.TryFind(a >> 12, out var stale));
        Assert.NotEqual(Decision.None, stale.Stale);

        Assert.Equal(Status.Done, r.K.Madvise(r.T0, a + Page, Page, advice));

        Assert.False(r.T0.Tlb.TryFind(a >> 12, out _));
        r.K.FinishFlush(op, flush: true);
        Assert.Equal(0, r.P0.TlbFlushPending);
    }

    [Fact]
    public void A_zap_with_nothing_pending_flushes_only_its_range()
    {
        var r = TwoWrittenPages("v5.9", out var a, out _);

        Assert.Equal(Status.Done, r.K.Madvise(r.T0, a + Page, Page, Flag.DontNeed));

        Assert.True(r.T0.Tlb.TryFind(a >> 12, out _));
    }

    [Theory]
    [InlineData("v5.7", false)]
    [InlineData("v5.9", false)]
    [InlineData("v5.7", true)]
    [InlineData("v5.9", true)]
    public void A_clear_refs_before_5_12_flushes_only_when_another_flush_is_pending(string profile, bool uffdWpPending)
    {
        var r = TwoWrittenPages(profile, out var a, out var u);
        if (uffdWpPending)
        {
            Assert.Equal(Status.Pending, r.K.UffdWp(r.T0, u, a, Page, true, Split(r, AsyncKind.UffdWp)));
        }

        Assert.Equal(Status.Done, r.K.ClearRefs(r.T0, r.T0, null));

        // Without the other flush pending, #0 leaves the entry of the page clear_refs write-protected.
        Assert.Equal(!uffdWpPending, r.T0.Tlb.TryFind((a + Page) >> 12, out _));
    }

    [Fact]
    public void A_split_clear_refs_before_5_12_counts_as_pending_and_flushes_at_its_end_when_nested()
    {
        var r = new Rig("v5.9");
        var a = r.Map(2 * Page);
        r.Store(r.T0, a);
        var u = r.K.NewUffd(r.T0);
        Assert.Equal(Status.Done, r.K.UffdRegister(r.T0, u, a + Page, Page));
        var clear = Split(r, AsyncKind.ClearRefs);
        Assert.Equal(Status.Pending, r.K.ClearRefs(r.T0, r.T0, clear));
        Assert.Equal(1, r.P0.TlbFlushPending);
        r.Store(r.T0, a + Page);
        var wp = Split(r, AsyncKind.UffdWp, 2);
        Assert.Equal(Status.Pending, r.K.UffdWp(r.T0, u, a + Page, Page, true, wp));

        r.K.FinishClearRefs(clear);

        Assert.False(r.T0.Tlb.TryFind((a + Page) >> 12, out _));
        Assert.Equal(1, r.P0.TlbFlushPending);
    }

    /// <summary>
    /// Found by the fuzzer on v5.8: the store after the clear_refs went through the entry the in-flight uffd_wp had
    /// left, and pagemap lost its soft-dirty bit. The clear_refs ends with a full flush, so the store faults instead.
    /// (The first clear_refs clears VM_SOFTDIRTY, so that the second needs only the read lock.)
    /// </summary>
    [Theory]
    [InlineData("v5.7")]
    [InlineData("v5.8")]
    [InlineData("v5.9")]
    public void A_store_after_a_clear_refs_beside_a_pending_uffd_wp_faults(string profile)
    {
        const string text = """
            a = mmap(4K, rw, private)
            clear_refs(t0)
            u = uffd()
            uffd_register(u, a, 4K)
            store(a, 0)
            t1 = thread()
            t1: w = uffd_wp(u, a, 4K, on) &
            clear_refs(t0)
            store(a, 0)
            t1: wait(w)
            pagemap(a)
            """;

        var result = new Executor().Run(ProgramParser.Parse(text), KernelProfile.Parse(profile));

        Assert.Empty(result.Violations);
        Assert.Contains(result.Skipped, s => s.Reason.Contains("userfaultfd", StringComparison.Ordinal));
    }

    /// <summary>
    /// Two pages t0 wrote (writable TLB entries for both); the first registered with userfaultfd <paramref name="u"/>.
    /// A first clear_refs has cleared the mapping's VM_SOFTDIRTY: before 5.11 a clear_refs that must clear it takes
    /// the write lock, so it could not run beside another thread's change.
    /// </summary>
    private static Rig TwoWrittenPages(string profile, out ulong a, out int u)
    {
        var r = new Rig(profile);
        a = r.Map(2 * Page);
        Assert.Equal(Status.Done, r.K.ClearRefs(r.T0, r.T0, null));
        r.Store(r.T0, a);
        r.Store(r.T0, a + Page);
        u = r.K.NewUffd(r.T0);
        Assert.Equal(Status.Done, r.K.UffdRegister(r.T0, u, a, Page));
        return r;
    }

    private static AsyncOp Split(Rig r, AsyncKind kind, int id = 1)
    {
        var op = new AsyncOp();
        op.Reset(id, kind, r.T0, r.P0);
        return op;
    }
}
