using FuzzFarm.Oracle;
using FuzzFarm.Programs;
using Xunit;

namespace FuzzFarm.Machine.Tests;

/// <summary>
/// Two roads to the hugetlb vmsplice leak (still open upstream) that 10 million executions on latest found under other
/// signatures: a memset over two huge pages was blamed on the first page's fault, and uffd-wp resolve made a private
/// hugetlb PTE writable, which hugetlb_change_protection never does. Both must read as the one known bug.
/// </summary>
public class HugetlbLeakVariantTests
{
    private const string Leak = "cross-process-visibility in hugetlb_wp: reuse by mapcount [hugetlb]";

    [Theory]
    [InlineData("""
        a = mmap(4M, rw, private|hugetlb)
        p = pipe()
        vmsplice(p, a+4092K, 4K)
        t1 = fork()
        t1: vmsplice(p, a+4092K, 4K)
        t1: store(a+4092K, 0)
        memset(a, 4M, 0)
        t1: read(p, 8K)
        """)]
    [InlineData("""
        a = mmap(4K, rw, private|hugetlb)
        p = pipe()
        vmsplice(p, a, 4K)
        t1 = fork()
        store(a, 0)
        t1: u = uffd()
        t1: uffd_register(u, a, 2M)
        t1: h = pin(a, 4K, r)
        t1: uffd_wp(u, a, 2M, off)
        t1: store(a, 0)
        read(p, 4K)
        """)]
    public void IsTheKnownLeakOnLatest(string text)
    {
        var violations = new Executor().Run(ProgramParser.Parse(text), KernelProfile.Parse("latest")).Violations;
        Assert.NotEmpty(violations);
        Assert.All(violations, v => Assert.Equal(Leak, v.Signature));
    }

    [Fact]
    public void A_child_can_drop_its_hugetlb_mapping_by_dontneed_only_from_5_18()
    {
        // Before 5.18 madvise(dontneed) refuses hugetlb (EINVAL): the child keeps its mapping, and the parent copies.
        var program = ProgramParser.Parse("""
            a = mmap(2M, rw, private|hugetlb)
            store(a, 1)
            t1 = fork()
            t1: p = pipe()
            t1: vmsplice(p, a, 4K)
            t1: madvise(a, 2M, dontneed)
            store(a, 2)
            t1: read(p, 4K)
            """);

        Assert.Equal(["v5.18", "v5.19", "v6.0", "v6.2", "v6.15"], Rig.ViolatingProfiles(program));
    }
}
