using Xunit;

namespace FuzzFarm.Programs.Tests;

public class RoundTripTests
{
    [Theory]
    [InlineData("""
        # Dirty COW style: a child's read pin must not see the parent's later write.
        a = mmap(2M, rw, private|populate)
        store(a, 1)
        t1 = fork()
        t1: h = pin(a, 4K, r|longterm)
        store(a, 2)
        t1: dma_read(h, 0)

        """)]
    [InlineData("""
        a = mmap(8K, rw, shared)
        b = mmap(0x5008, r, private|hugetlb)
        t1 = thread()
        w = mprotect(a, 4K, r) &
        t1: store(a+8, 0x1234)
        wait(w)
        t1: load(b+0x1008)
        t1: memset(a+1K, 3M, 4095)
        madvise(a, 8K, dontfork)
        exit()

        """)]
    [InlineData("""
        #
        #  indented header text
        f = file(64K)
        p = pipe()
        a = mmap(64K, rw, private)
        t1 = fork()
        io = pread_direct(f, 0, a, 4K) &
        t1: vmsplice(p, a, 4K)
        wait(io)
        t1: read(p, 4K)
        x = process_vm_readv(t1, a, 8) &
        wait(x)
        c = clear_refs(t1) &
        wait(c)
        pagemap(a+4K)
        u = uffd()
        uffd_register(u, a, 64K)
        s = uffd_wp(u, a, 4K, on) &
        wait(s)
        uffd_resolve(u)
        write(f, 4K, a, 4K)
        h = pin(a, 4K, rw|longterm|fast)
        dma_write(h, 8, 7)
        unpin(h)
        munmap(a, 64K)

        """)]
    public void CanonicalTextPrintsBackExactly(string text)
    {
        var program = ProgramParser.Parse(text);
        Assert.Equal(text, ProgramPrinter.Print(program));
    }
}
