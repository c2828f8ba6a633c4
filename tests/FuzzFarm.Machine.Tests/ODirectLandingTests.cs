using FuzzFarm.Oracle;
using FuzzFarm.Programs;
using Xunit;

namespace FuzzFarm.Machine.Tests;

/// <summary>
/// O_DIRECT data is owed to the buffer as mapped at the GUP. A remote read before it also tracks pages; the two must
/// not mix (the pread's tracker was once lost when the kernel reset the op, and the data was owed to the wrong page).
/// </summary>
public class ODirectLandingTests
{
    [Theory]
    [InlineData("file(0)", "0", "0")]
    [InlineData("file(8)", "P0.t0@line3/odirect", "0")]
    [InlineData("file(4K)", "P0.t0@line3/odirect", "P0.t0@line3/odirect")]
    public void A_read_gets_only_what_the_file_holds(string file, string first, string second)
    {
        // __iomap_dio_rw returns 0 at or past the end of the file, before any GUP, and a read across it is short.
        var result = new FuzzFarm.Oracle.Executor().Run(ProgramParser.Parse($"""
            a = mmap(4K, rw, private)
            f = {file}
            io = pread_direct(f, 0, a, 16)
            load(a)
            load(a+8)
            """), KernelProfile.Parse("v6.15"));

        Assert.Equal([first, second], result.Observations.Select(o => o.Values.Single()));
    }

    [Fact]
    public void APreadAfterARemoteReadIsSeenInItsOwnBuffer()
    {
        var program = ProgramParser.Parse("""
            a = mmap(64K, rw, private)
            memset(a, 16K, 5)
            t1 = fork()
            x = process_vm_readv(t1, a, 64)
            f = file(8K)
            pread_direct(f, 4K, a+4K, 4K)
            load(a+4K)
            """);
        foreach (var profile in KernelProfile.Named)
        {
            var result = new Executor().Run(program, profile);
            Assert.True(result.Verdict == Verdict.Ok, $"{profile.Name}: {string.Join("; ", result.Violations.Select(v => v.Signature))}");
        }
    }

    [Fact]
    public void DataOfAReadInFlightOverADiscardedRangeIsOwedToNobody()
    {
        // The DMA completes into the page taken at the GUP, which the process no longer maps after the dontneed
        // (the user's mistake, not the kernel's): the process reads fresh zeros.
        var program = ProgramParser.Parse("""
            a = mmap(4K, rw, private)
            store(a, 1)
            t1 = thread()
            f = file(4K)
            w = pread_direct(f, 0, a, 8) &
            t1: madvise(a, 4K, dontneed)
            wait(w)
            load(a)
            """);
        foreach (var profile in KernelProfile.Named)
        {
            var result = new Executor().Run(program, profile);
            Assert.True(result.Verdict == Verdict.Ok, $"{profile.Name}: {string.Join("; ", result.Violations.Select(v => v.Signature))}");
        }
    }
    [Fact]
    public void AThpReadThroughItsPmdIsNamedAThpNotAPteMappedOne()
    {
        // A fuzzer find: the parent's O_DIRECT read in flight across fork lands in the THP its own write left to the
        // child, and the child reads it through the PMD its reuse made writable. The signature names the page as
        // process_vm_readv found it (it once said [pte-mapped-thp]) and, as a load would, how the child came to map
        // it: fork's share, not the reuse that later made it writable.
        var program = ProgramParser.Parse("""
            t1 = thread()
            a = mmap(2M, rw, private)
            t1: madvise(a, 2M, hugepage)
            f = file(2M)
            w = pread_direct(f, 0, a+2044K, 8) &
            t1: t2 = fork()
            t1: store(a+2044K, 0)
            wait(w)
            t1: munmap(a, 2044K)
            t2: store(a, 0)
            x = process_vm_readv(t2, a+2044K, 8)
            """);
        var result = new Executor().Run(program, KernelProfile.Parse("v5.9"));
        Assert.Equal(["cross-process-visibility in copy_huge_pmd: share with child [thp]"], result.Violations.Select(v => v.Signature));
    }

    /// <summary>The parent's COW copy leaves its O_DIRECT read in flight to the page the child keeps.</summary>
    private const string ReadLostAtTheParentsCow = """
        t1 = thread()
        t1: a = mmap(4K, rw, private)
        t1: f = file(2M)
        t1: w = pread_direct(f, 0, a, 4K) &
        t2 = fork()
        store(a, 0)

        """;

    [Theory]
    [InlineData("""
        t3 = fork()
        t1: wait(w)
        t3: x = process_vm_readv(t0, a, 4K)
        """)]
    [InlineData("""
        madvise(a, 4K, pageout)
        t1: wait(w)
        t1: load(a)
        """)]
    public void ALostReadIsBlamedOnTheCopyThatPartedFromItsPageNotOnACopyOfThatCopy(string then)
    {
        // Fuzzer finds on v6.2: after the loss, a R/O pin's unshare (process_vm_readv of a page the second fork
        // shared) or a swap-out and in copies the parent's page again. They were signed 'unshare: copy' and
        // 'do_swap_page: map read-only', apart from the bug they are.
        var result = new Executor().Run(ProgramParser.Parse(ReadLostAtTheParentsCow + then), KernelProfile.Parse("v6.2"));
        Assert.Equal(["lost-write in do_wp_page: copy by page_count [base]"], result.Violations.Select(v => v.Signature));
    }

    [Theory]
    [InlineData("t3: load(a+8)")]
    [InlineData("t1: x = process_vm_readv(t3, a+8, 8)")]
    public void AReadInFlightAcrossForkIsOneSignatureWhoeverObservesIt(string observe)
    {
        // The parent's O_DIRECT data reaches the child's page through fork's sharing; the child's own load and the
        // parent's remote read of the child were once signed apart (share with child, and the later reuse).
        var program = ProgramParser.Parse("""
            a = mmap(4K, rw, private)
            f = file(2M)
            t1 = thread()
            w = pread_direct(f, 0, a, 4K) &
            t1: t3 = fork()
            t1: store(a, 0)
            wait(w)
            t3: store(a, 0)

            """ + observe);
        var result = new Executor().Run(program, KernelProfile.Parse("v5.9"));
        Assert.Equal(["cross-process-visibility in copy_present_pte: share with child [base]"], result.Violations.Select(v => v.Signature));
    }
}
