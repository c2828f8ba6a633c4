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
}
