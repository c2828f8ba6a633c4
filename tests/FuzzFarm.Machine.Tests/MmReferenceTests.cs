using FuzzFarm.Programs;
using Xunit;

namespace FuzzFarm.Machine.Tests;

/// <summary>
/// clear_refs and process_vm_readv of another process hold a reference on its mm (get_task_mm, mm_access) from before
/// they take its lock until their syscall ends. An exit in between ends the threads, but the mappings stay until that
/// last mmput: another process's COW still counts them, and a blocked read still reads.
/// </summary>
public class MmReferenceTests
{
    [Fact]
    public void A_child_exiting_inside_a_clear_refs_of_it_still_maps_its_thp()
    {
        // The child's PMD still maps the THP at the parent's store: compound mapcount 2, so no reuse by mapcount.
        var program = ProgramParser.Parse("""
            a = mmap(2M, rw, private)
            madvise(a, 2M, hugepage)
            store(a, 1)
            t1 = fork()
            t1: p = pipe()
            t1: vmsplice(p, a, 4K)
            t2 = thread()
            c = clear_refs(t1) &
            t1: exit()
            t2: store(a, 2)
            wait(c)
            read(p, 4K)

            """);

        Assert.Empty(Rig.ViolatingProfiles(program));
    }

    [Theory]
    [InlineData("c = clear_refs(t1) &")]
    // Of another page: a read GUP of the pinned one would itself copy it for the child in 5.8.
    [InlineData("c = process_vm_readv(t1, b, 8) &")]
    public void A_child_exiting_inside_a_remote_op_still_counts_for_the_parents_cow(string remote)
    {
        // Mapcount 2 at the parent's store: the copy leaves the pin on the old page, as with the child alive (s5).
        var program = ProgramParser.Parse($"""
            a = mmap(4K, rw, private)
            b = mmap(4K, rw, private)
            store(a, 1)
            store(b, 1)
            h = pin(a, 4K, rw|longterm)
            t1 = fork()
            t2 = thread()
            {remote}
            t1: exit()
            t2: store(a, 2)
            wait(c)
            dma_write(h, 8, 3)
            load(a+8)

            """);

        Assert.Equal(["v5.7", "v5.8", "v5.9-rc4"], Rig.ViolatingProfiles(program));
    }

    [Fact]
    public void A_read_blocked_on_the_lock_reads_after_its_target_exits()
    {
        // The parent's process_vm_readv waits for the child's split mprotect, then reads the child's page, which the
        // parent wrote after the fork through a page fork shared (before 5.9's early copy of pinned pages).
        var program = ProgramParser.Parse("""
            a = mmap(4K, rw, private)
            b = mmap(4K, rw, private)
            store(a, 1)
            h = pin(a, 4K, rw|longterm)
            t1 = fork()
            store(a, 2)
            dma_write(h, 8, 3)
            t1: t2 = thread()
            t1: m = mprotect(b, 4K, r) &
            x = process_vm_readv(t1, a, 16)
            t2: exit()
            t1: wait(m)

            """);

        Assert.Equal(["v5.7", "v5.8", "v5.9-rc4"], Rig.ViolatingProfiles(program));
    }
}
