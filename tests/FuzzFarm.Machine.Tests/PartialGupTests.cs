using FuzzFarm.Programs;
using Xunit;

namespace FuzzFarm.Machine.Tests;

/// <summary>
/// GUP stopped by a hole returns the pages before it (__get_user_pages: "return i ? : -EFAULT"), and vmsplice,
/// process_vm_readv and an O_DIRECT read go on with that short count; pin() stays all or nothing, as RDMA and io_uring
/// registration unpin and fail on a short count. Each program below violates as its 4K form does, where the first page
/// alone is the scenario.
/// </summary>
public class PartialGupTests
{
    private const string Holed = """
        a = mmap(8K, rw, private)
        store(a, 1)
        munmap(a+4K, 4K)

        """;

    [Theory]
    // S1 through the page vmsplice got before the hole.
    [InlineData("""
        t1 = fork()
        t1: p = pipe()
        t1: vmsplice(p, a, 8K)
        t1: munmap(a, 4K)
        store(a, 2)
        t1: read(p, 4K)
        """, new[] { "v5.7" })]
    // The same through a process_vm_readv short read in its window.
    [InlineData("""
        t1 = fork()
        t2 = thread()
        t2: x = process_vm_readv(t1, a, 8K) &
        t1: munmap(a, 4K)
        store(a, 2)
        t2: wait(x)
        """, new[] { "v5.7" })]
    // S8: the O_DIRECT read of the first page lands in the page the store copied away from.
    [InlineData("""
        f = file(8K)
        t1 = thread()
        t2 = thread()
        t1: io = pread_direct(f, 0, a, 8K) &
        clear_refs(t0)
        t2: store(a+4088, 2)
        t1: wait(io)
        t2: load(a)
        """, new[] { "v5.9-rc4", "v5.9", "v5.11", "v5.12", "v5.18" })]
    public void A_short_count_still_does_its_part(string body, string[] expected)
    {
        Assert.Equal(expected, Rig.ViolatingProfiles(ProgramParser.Parse(Holed + body + "\n")));
    }

    [Fact]
    public void A_pin_across_a_hole_fails_whole_and_keeps_nothing()
    {
        var r = new Rig("v6.15");
        var a = r.Map(8 << 10);
        r.Store(r.T0, a);
        Assert.Equal(Status.Done, r.K.Munmap(r.T0, a + 0x1000, 0x1000));
        var refs = Rig.FolioOf(r.P0, a).RefCount;

        Assert.Equal(Status.Failed, r.K.Pin(r.T0, a, 8 << 10, Flag.Rw | Flag.LongTerm, out _));
        Assert.Equal(refs, Rig.FolioOf(r.P0, a).RefCount);
    }
}
