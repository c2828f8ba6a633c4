using FuzzFarm.Programs;
using Xunit;

namespace FuzzFarm.Machine.Tests;

/// <summary>
/// madvise(MADV_DONTNEED) of a hugetlb mapping (from 5.18) wants a huge-page-aligned start and rounds the end to whole
/// huge pages: up in 5.18 (90e7e7f5ef3f), down from 6.1 (8ebe0a5eaaeb), where a 4K length frees nothing. The child's
/// zap drops its mapping of the page its pipe holds, so the parent's write reuses it by mapcount and the pipe shows it.
/// </summary>
public class HugetlbDontneedTests
{
    private static string Leak(string length) => $"""
        a = mmap(4M, rw, private|hugetlb)
        store(a, 1)
        store(a+2M, 1)
        t1 = fork()
        t1: p = pipe()
        t1: vmsplice(p, a, 4K)
        t1: madvise(a, {length}, dontneed)
        store(a, 2)
        t1: read(p, 4K)
        """;

    [Theory]
    // Rounded up (5.18-6.0) or down (6.2+), the zap covers the first huge page.
    [InlineData("0x201000", new[] { "v5.18", "v5.19", "v6.0", "v6.2", "v6.15" })]
    // Rounded down to nothing from 6.1: the child keeps its mapping and the parent's write copies.
    [InlineData("4K", new[] { "v5.18", "v5.19", "v6.0" })]
    public void A_dontneed_length_is_rounded_to_whole_huge_pages(string length, string[] expected)
    {
        Assert.Equal(expected, Rig.ViolatingProfiles(ProgramParser.Parse(Leak(length))));
    }

    [Theory]
    // Rounded down to nothing (6.1+) the store survives; rounded up (5.18-6.0) the whole huge page reads 0 again.
    [InlineData("store(a, 1)\nmadvise(a, 4K, dontneed)\nload(a)")]
    [InlineData("store(a+8K, 1)\nmadvise(a, 4K, dontneed)\nload(a+8K)")]
    public void The_oracle_discards_the_range_the_kernel_zapped(string body)
    {
        var program = ProgramParser.Parse("a = mmap(4K, rw, private|hugetlb)\n" + body + "\n");

        Assert.Empty(Rig.ViolatingProfiles(program));
    }

    [Fact]
    public void An_unaligned_start_is_refused()
    {
        var r = new Rig("v6.15");
        var a = r.Map(4 << 20, Flag.Private | Flag.Hugetlb);

        Assert.Equal(Status.Failed, r.K.Madvise(r.T0, a + 4096, 4096, Flag.DontNeed));
    }
}
