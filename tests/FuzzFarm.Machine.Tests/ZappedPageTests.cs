using FuzzFarm.Oracle;
using FuzzFarm.Programs;
using Xunit;

namespace FuzzFarm.Machine.Tests;

/// <summary>
/// Oracle false positives the fuzzer found on latest (MACHINE-BUGS.md rounds 3-4), kept as regressions: a page that
/// dontneed or munmap zaps while a pin, a pipe buffer or an in-flight I/O holds it lives on for those holders; O_DIRECT
/// data is signed by the fault that gave its GUP write access; a shared mapping under soft-dirty tracking gets its
/// write bit back from change_protection only as the profile's kernel did.
/// </summary>
public class ZappedPageTests
{
    private static Violation[] Run(string text, string profile) =>
        [.. new Executor().Run(ProgramParser.Parse(text), KernelProfile.Parse(profile)).Violations];

    private static void CleanEverywhere(string text)
    {
        foreach (var profile in KernelProfile.Named)
        {
            var violations = Run(text, profile.Name);
            Assert.True(violations.Length == 0, $"{profile.Name}: {string.Join("; ", violations.Select(v => v.Signature))}");
        }
    }

    [Theory]
    [InlineData("private")]
    [InlineData("shared")]
    public void ThePipeSeesTheDeviceWriteIntoAPageThePinAndThePipeBothHold(string sharing)
    {
        CleanEverywhere($"""
            a = mmap(4K, rw, {sharing})
            h = pin(a, 8, rw)
            p = pipe()
            vmsplice(p, a, 4K)
            madvise(a, 4K, dontneed)
            dma_write(h, 0, 0)
            read(p, 4K)
            """);
    }

    [Fact]
    public void ADeviceWriteAfterDontneedDoesNotReachTheProcess()
    {
        CleanEverywhere("""
            a = mmap(4K, rw, private)
            store(a, 1)
            h = pin(a, 8, rw)
            madvise(a, 4K, dontneed)
            dma_write(h, 0, 0)
            load(a)
            dma_read(h, 0)
            """);
    }

    [Fact]
    public void APinKeepsAnUnmappedPageForTheDevice()
    {
        CleanEverywhere("""
            a = mmap(8K, rw, private)
            store(a, 1)
            h = pin(a, 8, rw)
            munmap(a, 8K)
            b = mmap(8K, rw, private)
            store(b, 2)
            dma_read(h, 0)
            dma_write(h, 0, 0)
            dma_read(h, 0)
            load(b)
            """);
    }

    [Fact]
    public void ODirectIntoAHugetlbPageReusedByMapcountIsSignedByThatReuse()
    {
        // The hugetlb vmsplice leak, reached with O_DIRECT in the child: one root cause, one signature.
        var violations = Run("""
            a = mmap(4K, rw, private|hugetlb)
            p = pipe()
            vmsplice(p, a, 8)
            t1 = fork()
            store(a, 0)
            t1: f = file(2M)
            t1: w = pread_direct(f, 0, a, 8)
            t1: read(p, 4K)
            """, "latest");
        var v = Assert.Single(violations);
        Assert.Equal("cross-process-visibility in hugetlb_wp: reuse by mapcount [hugetlb]", v.Signature);
    }

    private const string SharedRewriteAfterClearRefs = """
        a = mmap(4K, rw, shared)
        store(a, 1)
        clear_refs(t0)
        mprotect(a, 4K, r)
        mprotect(a, 4K, rw)
        store(a, 2)
        pagemap(a)
        """;

    /// <summary>
    /// mprotect_fixup asks vma_wants_writenotify with the old vm_page_prot, which fails its pgprot_modify test for a
    /// tracked shmem VMA: no kernel upgrades its PTEs (76aefad628aa: the inverted soft-dirty test "was still correct"
    /// before 6.0), so the store faults and sets soft-dirty.
    /// </summary>
    [Theory]
    [InlineData("v5.7")]
    [InlineData("v5.19")]
    [InlineData("v6.0")]
    [InlineData("latest")]
    public void MprotectNeverUpgradesASoftDirtyTrackedSharedPte(string profile)
    {
        Assert.Empty(Run(SharedRewriteAfterClearRefs, profile));
    }

    /// <summary>
    /// Until 6.3 (931298e103c2) uffd-wp unprotect rebuilt the PTE from vm_get_page_prot, writable for a shared VMA
    /// even while soft-dirty is tracked: the next store is not seen by pagemap.
    /// </summary>
    [Theory]
    [InlineData("v5.19", true)]
    [InlineData("v6.2", true)]
    [InlineData("latest", false)]
    public void UffdWpUnprotectOnSharedMemoryKeepsSoftDirtyTrackingOnlyFrom6_3(string profile, bool lost)
    {
        var violations = Run("""
            a = mmap(4K, rw, shared)
            store(a, 0)
            clear_refs(t0)
            u = uffd()
            uffd_register(u, a, 4K)
            uffd_wp(u, a, 4K, on)
            uffd_wp(u, a, 4K, off)
            store(a, 0)
            pagemap(a)
            """, profile);
        Assert.Equal(lost, violations.Any(v => v.Signature == "lost-write in change_protection: writable shared page [shmem]"));
    }

    [Fact]
    public void DontforkOfPartOfATHPSplitsThePmdSoTheRestIsInherited()
    {
        CleanEverywhere("""
            a = mmap(2M, rw, private)
            madvise(a, 2M, hugepage)
            memset(a+2044K, 8, 1)
            madvise(a, 4K, dontfork)
            t1 = fork()
            t1: load(a+2044K)
            """);
    }

    [Fact]
    public void TheChildsCopyOfAPinnedPageIsSoftDirty()
    {
        CleanEverywhere("""
            a = mmap(4K, rw, private)
            store(a, 1)
            clear_refs(t0)
            h = pin(a, 4K, r)
            t1 = fork()
            t1: store(a, 2)
            t1: pagemap(a)
            """);
    }

    [Fact]
    public void AnUnshareDuringACowCopyCannotReuseThePageTheCopierHolds()
    {
        // wp_page_copy holds a reference on the old page: the R/O pin's unshare copies instead of reusing, the PTE
        // changes, the store backs off and retries, and the pin stays coherent.
        var violations = Run("""
            t1 = thread()
            a = mmap(4K, rw, private|populate)
            t2 = fork()
            w = store(a, 1) &
            t2: store(a, 2)
            t1: h = pin(a, 4K, r)
            wait(w)
            dma_read(h, 0)
            """, "latest");
        Assert.Empty(violations);
    }

    [Fact]
    public void ODirectIntoAHugetlbPageAChildsPipeHoldsIsTheHugetlbLeak()
    {
        var violations = Run("""
            a = mmap(4K, rw, private|hugetlb)
            store(a, 1)
            t1 = fork()
            t1: p = pipe()
            t1: vmsplice(p, a, 4K)
            t1: exit()
            f = file(2M)
            w = pread_direct(f, 0, a, 4K)
            read(p, 4K)
            """, "latest");
        var v = Assert.Single(violations);
        Assert.Equal("cross-process-visibility in hugetlb_wp: reuse by mapcount [hugetlb]", v.Signature);
    }

    [Theory]
    [InlineData("v5.7", true)]
    [InlineData("v5.8", false)]
    [InlineData("v5.11", true)]
    [InlineData("v5.12", false)]
    public void AChildsPinOfAForkSharedPinnedHugetlbPageBlamesFork(string profile, bool leaks)
    {
        // The parent's device writes the pinned page fork shared; the child's device reads it (hugetlb early COW: 5.12).
        var violations = Run("""
            a = mmap(4K, rw, private|hugetlb)
            h = pin(a, 4K, rw)
            t1 = fork()
            t1: h2 = pin(a, 4K, r)
            dma_write(h, 0, 0)
            t1: dma_read(h2, 0)
            """, profile);
        Assert.Equal(leaks ? ["cross-process-visibility in copy_hugetlb_page_range: share with child [hugetlb]"] : [], violations.Select(v => v.Signature));
    }

    [Theory]
    [InlineData("""
        a = mmap(4K, rw, private)
        h = pin(a, 8, rw)
        madvise(a, 4K, pageout)
        t1 = fork()
        dma_write(h, 0, 0)
        t1: load(a)
        """, "cross-process-visibility in do_swap_page: map read-only [swap]")]
    [InlineData("""
        a = mmap(2M, rw, private)
        madvise(a, 2M, hugepage)
        h = pin(a, 8, rw)
        t1 = fork()
        dma_write(h, 0, 0)
        t1: store(a+8, 1)
        t1: load(a)
        """, "cross-process-visibility in copy_huge_pmd: share with child [thp]")]
    public void ADeviceWriteThroughAPinHeldBeforeForkBlamesHowTheChildMapsThePage(string program, string signature)
    {
        // The parent's access was legitimate; the child reached the pinned page by swapping it in from the swap cache,
        // or by copying the page fork shared after the device wrote it.
        Assert.Contains(signature, Run(program, "v5.7").Select(v => v.Signature));
    }
}
