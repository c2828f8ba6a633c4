using FuzzFarm.Programs;
using Xunit;

namespace FuzzFarm.Machine.Tests;

/// <summary>
/// What waits for the mmap lock before it looks at a VMA: a CPU fault (do_user_addr_fault locks, then find_vma), GUP-fast
/// falling back to slow GUP (check_vma_flags runs under the lock), and uffd_resolve (UFFDIO_WRITEPROTECT's
/// mwriteprotect_range). Inside a split mprotect each waits, so the thread's next line is skipped: here the DMA write
/// that would land in the old page after the parent's COW copy never happens.
/// </summary>
public class LockBeforeVmaTests
{
    private const string Prefix = """
        a = mmap(4K, rw, private)
        b = mmap(4K, rw, private)
        store(a, 1)
        h = pin(a, 4K, rw)
        t1 = fork()
        t2 = thread()
        store(a+8, 2)
        m = mprotect(b, 4K, none) &

        """;

    [Theory]
    // The access is not allowed, but the thread learns that only after the mprotect.
    [InlineData("t2: load(b)")]
    // GUP-fast finds no usable entry and falls back to the slow path, which waits for the lock.
    [InlineData("t2: g = pin(b, 4K, r|fast)")]
    public void A_refused_access_waits_for_the_split_mprotect_first(string access)
    {
        var program = ProgramParser.Parse(Prefix + access + "\nt2: dma_write(h, 0, 7)\nwait(m)\nload(a)\n");

        Assert.Empty(Rig.ViolatingProfiles(program));
    }

    [Fact]
    public void Without_the_window_the_same_lines_lose_the_dma_write()
    {
        var program = ProgramParser.Parse(Prefix.Replace("m = mprotect(b, 4K, none) &", "mprotect(b, 4K, none)") + "t2: load(b)\nt2: dma_write(h, 0, 7)\nload(a)\n");

        Assert.Equal(["v5.7", "v5.8", "v5.9-rc4"], Rig.ViolatingProfiles(program));
    }

    [Fact]
    public void Uffd_resolve_waits_for_the_split_mprotect()
    {
        var program = ProgramParser.Parse("""
            a = mmap(4K, rw, private)
            b = mmap(4K, rw, private)
            c = mmap(4K, rw, private)
            store(a, 1)
            store(c, 1)
            h = pin(a, 4K, rw|longterm)
            t1 = thread()
            t2 = thread()
            t2: u = uffd()
            t2: uffd_register(u, c, 4K)
            t2: uffd_wp(u, c, 4K, on)
            t3 = fork()
            store(a, 2)
            t1: store(c, 2)
            m = mprotect(b, 4K, r) &
            t2: uffd_resolve(u)
            t2: dma_write(h, 8, 3)
            wait(m)
            load(a+8)

            """);

        Assert.Empty(Rig.ViolatingProfiles(program));
    }
}
