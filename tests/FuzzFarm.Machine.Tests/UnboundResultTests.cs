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
}
