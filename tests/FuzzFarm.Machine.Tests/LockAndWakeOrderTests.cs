using FuzzFarm.Programs;
using Xunit;

namespace FuzzFarm.Machine.Tests;

/// <summary>
/// When a split operation's window lets other threads in: S6's lost write needs a write through a stale entry while
/// the uffd-wp flush is deferred, and neither a clear_refs nor a woken uffd waiter may flush it away or run inside a
/// window the kernel keeps them out of.
/// </summary>
public class LockAndWakeOrderTests
{
    /// <summary>A written page a pipe also references (page_count 2), registered with a uffd; three more threads.</summary>
    private const string FourThreadsOnAVmsplicedUffdPage = """
        a = mmap(4K, rw, private)
        store(a, 1)
        p = pipe()
        vmsplice(p, a, 4K)
        u = uffd()
        uffd_register(u, a, 4K)
        t1 = thread()
        t2 = thread()
        t3 = thread()

        """;

    /// <summary>
    /// Before 5.11 clear_refs takes the write lock to clear VM_SOFTDIRTY (set by mmap) and then downgrades (#13): it
    /// waits for the in-flight store and uffd_wp, flushes nothing inside their window, and S6's loss stays.
    /// </summary>
    [Fact]
    public void A_first_clear_refs_waits_for_readers_on_every_profile()
    {
        var program = ProgramParser.Parse(FourThreadsOnAVmsplicedUffdPage + """
            t2: store(a+8, 2)
            w = uffd_wp(u, a, 4K, off) &
            t1: c = store(a, 3) &
            t3: clear_refs(t0)
            t2: store(a+8, 4)
            t1: wait(c)
            wait(w)
            t1: load(a+8)
            """);

        Assert.Equal(["v5.9-rc4", "v5.9", "v5.11"], Rig.ViolatingProfiles(program));
    }

    /// <summary>
    /// userfaultfd_writeprotect wakes the range's waiters only once mwriteprotect_range has flushed and returned: a
    /// writer blocked on the write-protected page resumes after the other CPU's stale entry is gone.
    /// </summary>
    [Fact]
    public void A_split_unprotect_wakes_its_waiters_after_its_flush()
    {
        var program = ProgramParser.Parse(FourThreadsOnAVmsplicedUffdPage + """
            t3: store(a+8, 2)
            w1 = uffd_wp(u, a, 4K, on) &
            t2: c = store(a, 3) &
            t1: w2 = uffd_wp(u, a, 4K, off) &
            t3: store(a+8, 4)
            t2: wait(c)
            wait(w1)
            t1: wait(w2)
            t2: load(a+8)
            """);

        Assert.Empty(Rig.ViolatingProfiles(program));
    }

    /// <summary>
    /// exit_group lets a thread stopped inside a split op finish that syscall: the clear_refs' write lock on the child
    /// is released, and the child's later lines run (they were skipped for good, hiding whatever they would show).
    /// </summary>
    [Fact]
    public void An_exit_finishes_the_split_ops_of_its_threads()
    {
        var program = ProgramParser.Parse("""
            a = mmap(4K, rw, private)
            store(a, 1)
            t1 = fork()
            t2 = thread()
            c = clear_refs(t1) &
            t2: exit()
            wait(c)
            t1: store(a, 5)
            t1: load(a)
            """);
        foreach (var profile in KernelProfile.Named)
        {
            var result = new Oracle.Executor().Run(program, profile);

            Assert.Empty(result.Violations);
            Assert.Equal([7], result.Skipped.Select(s => s.Line));
        }
    }
}
