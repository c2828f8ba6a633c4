using FuzzFarm.Oracle;
using FuzzFarm.Programs;
using Xunit;

namespace FuzzFarm.Machine.Tests;

/// <summary>
/// A signature names the page as the decision behind it saw it, whatever became of the page since; and a copy that
/// only carried data on is not the decision behind it.
/// </summary>
public class SignatureNamingTests
{
    [Fact]
    public void AThpReusedThroughItsPmdAndSplitSinceIsNamedAThp()
    {
        // A fuzzer find on v5.12: the child's write pin reuses the THP through its PMD (the mapcount rule), then its
        // fork splits the PMD to copy the pinned pages, and its store goes through a PTE that still carries the
        // reuse. It was signed 'do_huge_pmd_wp_page: reuse by mapcount [pte-mapped-thp]', a page that function never
        // sees; the seeds' rule is that a leak's bracket names the page that was wrongly reused.
        Assert.Equal(["cross-process-visibility in do_huge_pmd_wp_page: reuse by mapcount [thp]"], Signatures("""
            a = mmap(2M, rw, private)
            madvise(a, 2M, hugepage)
            store(a, 0)
            p = pipe()
            vmsplice(p, a, 4K)
            t1 = fork()
            munmap(a, 2M)
            t1: h = pin(a, 4K, rw)
            t1: t2 = fork()
            t1: store(a, 0)
            read(p, 4K)
            """, "v5.9"));
    }

    [Fact]
    public void APageThatWentThroughSwapIsABasePageToDoWpPage()
    {
        // s1 after a pageout and a swap-in before the fork: the decision and the page are s1's; the page's trip through
        // swap named it '[swap]', a signature apart from s1's for one root cause.
        Assert.Equal(["cross-process-visibility in do_wp_page: reuse by mapcount [base]"], Signatures("""
            a = mmap(4K, rw, private)
            store(a, 1)
            madvise(a, 4K, pageout)
            store(a, 2)
            t1 = fork()
            t1: p = pipe()
            t1: vmsplice(p, a, 4K)
            t1: munmap(a, 4K)
            store(a, 3)
            t1: read(p, 4K)
            """, "v5.7"));
    }

    [Fact]
    public void AStoreThroughAStaleEntryToThePageStillMappedIsBlamedOnHowThatPageWasReused()
    {
        // s1 with a clear_refs (no flush on v5.7) between two stores: the second goes through the stale entry, but to
        // the page the parent still maps writable, where a fault would have put it too. The leak is s1's reuse.
        Assert.Equal(["cross-process-visibility in do_wp_page: reuse by mapcount [base]"], Signatures("""
            a = mmap(4K, rw, private)
            store(a, 1)
            t1 = fork()
            t1: p = pipe()
            t1: vmsplice(p, a, 4K)
            t1: munmap(a, 4K)
            store(a, 2)
            clear_refs(t0)
            store(a, 3)
            t1: read(p, 4K)
            """, "v5.7"));
    }

    [Fact]
    public void OneReadOfAPipeReportsEveryPieceThatWentWrong()
    {
        // Page 0, spliced by the parent, lost a DMA write to its COW; page 1, spliced by the child, leaks the parent's
        // later write (s1). One read of both reports both causes.
        Assert.Equal(["lost-write in do_wp_page: copy by mapcount [base]", "cross-process-visibility in do_wp_page: reuse by mapcount [base]"], Signatures("""
            a = mmap(8K, rw, private)
            store(a, 1)
            store(a+4K, 1)
            h = pin(a, 4K, rw|longterm)
            p = pipe()
            t1 = fork()
            store(a, 2)
            dma_write(h, 8, 3)
            vmsplice(p, a, 4K)
            t1: vmsplice(p, a+4K, 4K)
            t1: munmap(a+4K, 4K)
            store(a+4K, 5)
            t1: read(p, 8K)
            """, "v5.7"));
    }

    [Fact]
    public void ABasePageSplitOffACopiedThpIsNamedAfterTheThpTheCopyMade()
    {
        // A fuzzer find on v5.7: the parent's store copies the pinned THP whole (5.7), a partial pageout splits the
        // copy into base pages and swaps one out, and the store after it lands in the swap-in, not in the pinned page.
        // The copy that parted them made a THP; it was signed 'do_huge_pmd_wp_page: copy THP [base]'.
        Assert.Equal(["lost-write in do_huge_pmd_wp_page: copy THP [thp]"], Signatures("""
            a = mmap(2M, rw, private)
            madvise(a, 2M, hugepage)
            h = pin(a, 4K, rw)
            t1 = fork()
            store(a, 0)
            madvise(a, 4K, pageout)
            store(a, 0)
            dma_read(h, 0)
            """, "v5.7"));
    }

    [Fact]
    public void AForkCopyOfAPinnedPageIsNotTheCauseTheSwapInThatMappedItIs()
    {
        // A fuzzer find on v5.9: the pinned page stays in the swapcache, fork copies the swap entry, and the child maps
        // the parent's pinned page read-only at its own pin. The grandchild's fork then copies it (5.9 copies pinned
        // pages) after the parent's device write. It was signed 'copy_present_page: copy pinned page for child', the
        // copy that only carried the data on.
        Assert.Equal(["cross-process-visibility in do_swap_page: map read-only [swap]"], Signatures("""
            a = mmap(4K, rw, private)
            h = pin(a, 8, rw)
            madvise(a, 4K, pageout)
            t1 = fork()
            t1: h2 = pin(a, 1, r)
            t1: dma_write(h, 0, 0)
            t1: t2 = fork()
            t2: load(a)
            """, "v5.9"));
    }

    [Theory]
    [InlineData("v5.18")]
    [InlineData("v6.2")]
    public void AnUnshareCopyOfAHugetlbPageIsNamedAfterHugetlbsForkOnEveryProfile(string profile)
    {
        // A fuzzer find on v6.2: the O_DIRECT read in flight at fork lands in the hugetlb page fork shared; from 5.19 the
        // reader's R/O pin of the child's page unshares it, and the copy carries the data. The copy was taken to be of
        // a page copy_present_pte shared, a path hugetlb never takes, so 5.19+ named it apart from the older kernels.
        Assert.Equal(["cross-process-visibility in copy_hugetlb_page_range: share with child [hugetlb]"], Signatures("""
            a = mmap(4K, rw, private|hugetlb)
            f = file(2M)
            t1 = thread()
            w = pread_direct(f, 0, a, 4K) &
            t1: t2 = fork()
            wait(w)
            t1: w2 = process_vm_readv(t2, a, 4K)
            """, profile));
    }

    [Theory]
    [InlineData("v5.18")]
    [InlineData("v6.2")]
    public void ACopyOfASwappedInPageIsNamedAfterTheSwapInOnEveryProfile(string profile)
    {
        // A fuzzer find on v6.2: the page under an in-flight O_DIRECT read stays in the swapcache, fork copies the swap
        // entry and the child maps the page at swap-in. From 5.19 the reader's R/O pin unshares it first; the copy was
        // signed 'copy_present_pte: share with child [base]', though no present PTE was shared.
        Assert.Equal(["cross-process-visibility in do_swap_page: map read-only [swap]"], Signatures("""
            a = mmap(4K, rw, private)
            store(a, 0)
            madvise(a, 4K, pageout)
            f = file(2M)
            t1 = thread()
            w = pread_direct(f, 0, a, 4K) &
            t1: madvise(a, 4K, pageout)
            t1: t2 = fork()
            wait(w)
            t1: w2 = process_vm_readv(t2, a, 8)
            """, profile));
    }

    [Theory]
    [InlineData("v5.7")]
    [InlineData("v5.19")]
    public void AReuseOfAPageForkSharedUnderAnODirectReadIsNamedAfterFork(string profile)
    {
        // A fuzzer find on v5.19: fork shares the page an O_DIRECT read is filling, the parent's pin copies it away,
        // and the read lands in the child's page. The child's store reuses the page (write permission only) before it
        // reads the parent's data. It was signed after the reuse: on 5.7 'do_wp_page: reuse by mapcount [base]', the
        // vmsplice leak's signature, for another bug.
        Assert.Equal(["cross-process-visibility in copy_present_pte: share with child [base]"], Signatures("""
            a = mmap(4K, rw, private)
            t1 = thread()
            f = file(2M)
            w = pread_direct(f, 0, a, 4K) &
            t1: t2 = fork()
            t1: h = pin(a, 4K, rw)
            wait(w)
            t2: store(a+8, 0)
            t2: load(a)
            """, profile));
    }

    [Theory]
    [InlineData("v5.19")]
    [InlineData("v6.15")]
    public void ADeviceWriteOfACousinThroughAccessItGotAfterTheirLinesPartedIsNamedAfterThatAccess(string profile)
    {
        // A fuzzer find on latest: P3 (the parent's second child) reuses the hugetlb page by mapcount for its O_DIRECT
        // read, and the pipe holding the page P2 (a grandchild through the first child) spliced sees the device
        // write. The cousins' lines parted at the first fork, long before P3's access, but the oracle took cousins
        // never to have parted and named how P2 mapped the page, 'copy_hugetlb_page_range: share with child'. It is
        // the hugetlb vmsplice leak Linux still has, under its own name.
        Assert.Equal(["cross-process-visibility in hugetlb_wp: reuse by mapcount [hugetlb]"], Signatures("""
            a = mmap(4K, rw, private|hugetlb)
            store(a, 0)
            t1 = fork()
            t1: t2 = fork()
            w = process_vm_readv(t1, a, 4K)
            t2: p = pipe()
            t3 = fork()
            t2: vmsplice(p, a, 8)
            t2: h = pin(a, 4K, rw)
            f = file(2M)
            store(a, 0)
            t3: w2 = pread_direct(f, 0, a, 4K)
            read(p, 4K)
            """, profile));
    }

    [Theory]
    [InlineData("v6.2")]
    [InlineData("latest")]
    public void AMissedSoftDirtyBitThroughAnEntryMprotectLeftStaleIsTheWritablePtesFault(string profile)
    {
        // A fuzz-latest find (seed 1, 2 jobs): clear_refs skips the pinned page that mprotect made writable before
        // tracking started, so its PTE stays writable without the soft-dirty bit (the open-upstream bug). A write
        // through the entry a later mprotect left stale was signed 'mprotect: TLB flush pending', but the same write
        // through the writable PTE just before that mprotect misses the bit too: the stale entry changes nothing.
        Assert.Equal(["lost-write in change_protection: writable exclusive page [base]"], Signatures("""
            a = mmap(4K, rw, private)
            mprotect(a, 4K, r)
            h = pin(a, 4K, r|longterm)
            mprotect(a, 4K, rw)
            clear_refs(t0)
            load(a)
            t1 = thread()
            t1: w = mprotect(a, 4K, r) &
            store(a, 0)
            t1: wait(w)
            pagemap(a)
            """, profile));
    }

    [Fact]
    public void AMissedSoftDirtyBitThroughAnEntryClearRefsLeftStaleIsClearRefsFault()
    {
        // Here the write-protect that left the entry stale is the one that should have made the write fault.
        Assert.Equal(["lost-write in clear_refs: no TLB flush [base]"], Signatures("""
            a = mmap(4K, rw, private)
            store(a, 1)
            clear_refs(t0)
            store(a, 2)
            pagemap(a)
            """, "v5.7"));
    }

    private static IEnumerable<string> Signatures(string program, string profile) =>
        new Executor().Run(ProgramParser.Parse(program), KernelProfile.Parse(profile)).Violations.Select(v => v.Signature);
}
