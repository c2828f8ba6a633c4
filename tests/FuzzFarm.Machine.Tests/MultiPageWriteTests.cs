using FuzzFarm.Oracle;
using FuzzFarm.Programs;
using Xunit;

namespace FuzzFarm.Machine.Tests;

/// <summary>
/// A write over several pages (memset, O_DIRECT) that a pin misses is judged on the page the pin covers: the signature
/// names the fault that gave that page its new copy, not the fault of whichever page the write ended or began on.
/// Here a R/O long-term pin holds the zero page (no unshare before 6.2), and the write copies it away.
/// </summary>
public class MultiPageWriteTests
{
    [Theory]
    // The O_DIRECT read ends on a page do_anonymous_page mapped; the pinned page is the zero page's copy.
    [InlineData("""
        a = mmap(8K, rw, private)
        f = file(2M)
        h = pin(a, 4K, r|longterm)
        w = pread_direct(f, 0, a, 8K)
        dma_read(h, 0)
        """, "pfn 1")]
    // The memset begins on a page that needed no fault; the pinned second page is the zero page's copy.
    [InlineData("""
        a = mmap(8K, rw, private)
        store(a, 1)
        h = pin(a+4K, 4K, r|longterm)
        memset(a, 8K, 2)
        dma_read(h, 0)
        """, "pfn 2")]
    public void The_lost_write_is_signed_by_the_fault_on_the_observed_page(string text, string copy)
    {
        var v = Assert.Single(new Executor().Run(ProgramParser.Parse(text), KernelProfile.Parse("v5.18")).Violations);

        Assert.Equal("lost-write in do_wp_page: copy of zero page [base]", v.Signature);
        Assert.EndsWith($"that write went to {copy}", v.Detail, StringComparison.Ordinal);
    }
}
