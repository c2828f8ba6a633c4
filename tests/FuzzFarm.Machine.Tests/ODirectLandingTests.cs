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
}
