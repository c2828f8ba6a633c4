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

    [Theory]
    [InlineData(0L, "0")]
    [InlineData(1L, "1")]
    [InlineData(1023L, "1023")]
    [InlineData(1024L, "1K")]
    [InlineData(4095L, "4095")]
    [InlineData(4096L, "4K")]
    [InlineData(4097L, "0x1001")]
    [InlineData(0x1008L, "0x1008")]
    [InlineData(1L << 20, "1M")]
    [InlineData((3L << 20) + 1024, "3073K")]
    [InlineData(1L << 62, "4398046511104M")]
    [InlineData(long.MaxValue, "0x7fffffffffffffff")]
    public void NumbersPrintAsSizesHexOrDecimal(long value, string text)
    {
        Assert.Equal(text, NumberText.Format(value));
        var program = ProgramParser.Parse($"f = file({text})\n");
        Assert.Equal(value, program.Statements[0].Args[0].Number);
    }

    [Fact]
    public void NonCanonicalTextPrintsInCanonicalForm()
    {
        var text = $"""
            # header kept
            {"\t"}
            # still header: blank lines before the first statement do not end it
            t0:a=mmap( 0x1000 ,rw,populate|private)  # trailing comment dropped

              store( a + 0 , 0X1000 )
            t1 = fork()
            t1 : h = pin(a+1024, 4096, longterm | r)
            # a comment between statements is dropped
            t1: dma_write(h, 0x10, 00)
            """;
        var program = ProgramParser.Parse(text);
        Assert.Equal("""
            # header kept
            # still header: blank lines before the first statement do not end it
            a = mmap(4K, rw, private|populate)
            store(a, 4K)
            t1 = fork()
            t1: h = pin(a+1K, 4K, r|longterm)
            t1: dma_write(h, 16, 0)

            """, ProgramPrinter.Print(program));
        Assert.Equal([4, 6, 7, 8, 10], program.Statements.Select(s => s.Line));
    }

    [Fact]
    public void HeaderIsTheCommentsBeforeTheFirstStatement()
    {
        var program = ProgramParser.Parse("#first\n#  second\n#\nexit()\n# not header\n");
        Assert.Equal<string>(["first", " second", ""], program.Header);
        Assert.Equal("# first\n#  second\n#\nexit()\n", ProgramPrinter.Print(program));
    }

    [Fact]
    public void CarriageReturnsAndByteOrderMarkAreAccepted()
    {
        var program = ProgramParser.Parse("\uFEFF# h\r\na = mmap(4K, rw, private)\r\nload(a)");
        Assert.Equal("# h\na = mmap(4K, rw, private)\nload(a)\n", ProgramPrinter.Print(program));
    }

    [Fact]
    public void EmptyTextIsTheEmptyProgram()
    {
        var program = ProgramParser.Parse("");
        Assert.Empty(program.Statements);
        Assert.Equal((1, 1), (program.SlotCount, program.ThreadCount));
        Assert.Equal("", ProgramPrinter.Print(program));
    }
}
