using FuzzFarm.Oracle;
using FuzzFarm.Programs;
using Xunit;

namespace FuzzFarm.Machine.Tests;

/// <summary>
/// What an exit lets go of: the userfaultfds only its process holds (userfaultfd_release wakes their waiters), the
/// instruction a killed thread's fault was for (a split store that backed off is not retried), and a swapcache page
/// whose last swap entry the teardown zaps (free_swap_and_cache).
/// </summary>
public class ExitReleaseTests
{
    [Fact]
    public void A_remote_reader_waiting_on_the_exited_handlers_userfaultfd_wakes_and_finishes()
    {
        // Only 5.8 makes a read GUP write (forced COW), so only there does the remote reader wait on P1's userfaultfd.
        var result = new Executor().Run(ProgramParser.Parse("""
            a = mmap(4K, rw, private)
            store(a, 1)
            t1 = fork()
            t1: u = uffd()
            t1: uffd_register(u, a, 4K)
            t1: uffd_wp(u, a, 4K, on)
            x = process_vm_readv(t1, a, 8)
            t1: exit()
            store(a, 2)
            load(a)
            """), KernelProfile.Parse("v5.8"));

        Assert.Empty(result.Skipped);
        Assert.Equal("P0.t0@line9", result.Observations[^1].Values.Single());
    }

    [Fact]
    public void A_split_store_that_backs_off_is_not_retried_by_a_thread_its_exit_killed()
    {
        // t2's reuse changes the PTE inside t0's split copy, so the copy backs off; the store was t0's own, and the
        // exit kills t0 before it runs again: the child's pipe keeps reading the page as it was.
        var program = ProgramParser.Parse("""
            a = mmap(4K, rw, private)
            store(a, 1)
            t2 = thread()
            t1 = fork()
            t1: p = pipe()
            t1: vmsplice(p, a, 8)
            h = store(a, 2) &
            t1: munmap(a, 4K)
            t2: store(a+8, 3)
            t2: exit()
            wait(h)
            t1: read(p, 8)
            """);

        Assert.Empty(Rig.ViolatingProfiles(program));
    }

    [Fact]
    public void Zapping_the_last_swap_entry_takes_an_unmapped_page_out_of_the_swapcache()
    {
        var r = new Rig("v5.12");
        var a = r.Map(4096);
        r.Store(r.T0, a);
        // The pipe's reference keeps the page in the swapcache after pageout.
        Assert.Equal(Status.Done, r.K.Vmsplice(r.T0, r.K.NewPipe(), a, 4096, 0));
        var page = Rig.FolioOf(r.P0, a);
        Assert.Equal(Status.Done, r.K.Madvise(r.T0, a, 4096, Flag.PageOut));
        Assert.True(page.SwapCache);

        Assert.Equal(Status.Done, r.K.Munmap(r.T0, a, 4096));

        Assert.False(page.SwapCache);
    }
}
