using FuzzFarm.Oracle;
using FuzzFarm.Programs;
using Xunit;

namespace FuzzFarm.Machine.Tests;

/// <summary>A result nobody names (found by AFL++ on the parser harness: it once indexed slot -1).</summary>
public class UnboundResultTests
{
    [Theory]
    [InlineData("mmap(4K, rw, private)")]
    [InlineData("pipe()")]
    [InlineData("file(4K)")]
    [InlineData("uffd()")]
    [InlineData("a = mmap(4K, rw, private)\npin(a, 4K, rw|longterm)")]
    public void AnUnnamedResultIsDroppedAndTheProgramGoesOn(string prefix)
    {
        var program = ProgramParser.Parse(prefix + "\nb = mmap(4K, rw, private)\nstore(b, 1)\nload(b)\n");
        foreach (var profile in KernelProfile.Named)
        {
            var result = new Executor().Run(program, profile);
            Assert.Equal(Verdict.Ok, result.Verdict);
            Assert.Empty(result.Skipped);
            Assert.Single(result.Observations);
        }
    }

    [Theory]
    [InlineData("t2: x = pread_direct(f, 0, a, 0)")]
    [InlineData("t2: x = pread_direct(f, 0, a, 8)")]
    [InlineData("t2: store(a, 1)")]
    [InlineData("t2: p = pipe()\nt2: vmsplice(p, a, 8)")]
    public void AnAddressWhoseMmapIsStillBlockedIsNotCreatedYet(string use)
    {
        // t1's mmap waits for the mmap lock the split clear_refs holds, so `a` does not exist when t2 uses it (found
        // by the fuzzer: the oracle once tracked address 2^64-1 and looped until out of memory).
        var program = ProgramParser.Parse($"""
            f = file(4K)
            t1 = thread()
            t2 = thread()
            w = clear_refs(t0) &
            t1: a = mmap(4K, rw, private)
            {use}
            wait(w)
            """);
        foreach (var profile in KernelProfile.Named)
        {
            var result = new Executor().Run(program, profile);
            Assert.Equal(Verdict.Ok, result.Verdict);
            Assert.Contains(result.Skipped, s => s.Reason.StartsWith("EBADF: a was not created", StringComparison.Ordinal));
        }
    }
}
