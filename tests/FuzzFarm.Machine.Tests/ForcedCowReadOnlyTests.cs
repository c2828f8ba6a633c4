using FuzzFarm.Oracle;
using FuzzFarm.Programs;
using Xunit;

namespace FuzzFarm.Machine.Tests;

/// <summary>
/// 5.8 forces FOLL_WRITE on a read GUP of a COW mapping, but check_vma_flags still sees the caller's read, and
/// can_follow_write_pte takes a dirty entry under FOLL_COW (kernel-history.md §1 #2): a mapping without VM_WRITE is
/// COWed, not refused. strace's process_vm_readv of a tracee's read-only private page is S4's road to that copy.
/// </summary>
public class ForcedCowReadOnlyTests
{
    private const string RemoteRead = """
        a = mmap(4K, rw, private)
        store(a, 1)
        mprotect(a, 4K, r)
        t1 = fork()
        x = process_vm_readv(t1, a, 4K)
        t1: load(a)
        """;

    [Fact]
    public void A_remote_read_of_a_read_only_private_page_succeeds_everywhere_and_5_8_gives_the_tracee_a_dirty_read_only_copy()
    {
        var program = ProgramParser.Parse(RemoteRead);
        foreach (var profile in KernelProfile.Named)
        {
            var result = new Executor().Run(program, profile);
            Assert.True(result.Skipped.Count == 0, $"{profile.Name}: {string.Join("; ", result.Skipped.Select(s => s.Reason))}");
            Assert.Equal(Verdict.Ok, result.Verdict);
        }

        var r = new Rig("v5.8");
        var a = r.Map(4096);
        r.Store(r.T0, a);
        Assert.Equal(Status.Done, r.K.Mprotect(r.T0, a, 4096, Flag.R, null));
        var child = r.Fork(r.T0, 1);
        var shared = Rig.FolioOf(r.P0, a);

        Assert.Equal(Status.Done, r.K.Pin(child, a, 4096, Flag.R, out _));

        var copy = Rig.PteOf(child.Process, a);
        Assert.NotSame(shared, copy.Folio);
        Assert.False(copy.Writable);
        Assert.True((copy.Flags & PteFlags.Dirty) != 0);
        Assert.Same(shared, Rig.FolioOf(r.P0, a));
    }

    [Fact]
    public void The_forced_write_still_meets_uffd_wp_and_hangs_5_8_on_a_read_only_mapping()
    {
        var program = ProgramParser.Parse("""
            a = mmap(4K, rw, private)
            store(a, 1)
            mprotect(a, 4K, r)
            u = uffd()
            uffd_register(u, a, 4K)
            uffd_wp(u, a, 4K, on)
            p = pipe()
            vmsplice(p, a, 4K)
            """);

        var hangs = KernelProfile.Named.Where(p => new Executor().Run(program, p).Violations.Any(v => v.Kind == ViolationKind.Hang)).Select(p => p.Name);

        Assert.Equal(["v5.8"], hangs);
    }

    [Fact]
    public void A_write_GUP_of_a_read_only_mapping_is_still_refused()
    {
        var r = new Rig("v5.8");
        var a = r.Map(4096, prot: Flag.R);

        Assert.Equal(Status.Failed, r.K.Pin(r.T0, a, 4096, Flag.Rw, out _));
        Assert.Contains("does not allow writing", r.K.Error, StringComparison.Ordinal);
    }
}
