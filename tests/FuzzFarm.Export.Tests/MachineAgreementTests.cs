using FuzzFarm.Export.Real;
using FuzzFarm.Machine;
using Xunit;
using Xunit.Abstractions;

namespace FuzzFarm.Export.Tests;

/// <summary>
/// Hand-written programs for what the random generator leaves out (userfaultfd blocking, exit, process_vm_readv
/// both ways, O_DIRECT and buffered writes, shared memory across fork): the kernel and the matching profile agree.
/// </summary>
public class MachineAgreementTests(ITestOutputHelper output)
{
    public static TheoryData<string, string[]> Cases => new()
    {
        { "uffd-served", ["a = mmap(8K, rw, private)", "store(a, 1)", "u = uffd()", "uffd_register(u, a, 8K)", "uffd_wp(u, a, 4K, on)",
            "t1 = thread()", "t1: store(a, 2)", "t1: store(a+8, 3)", "load(a)", "uffd_resolve(u)", "load(a)", "t1: store(a+8, 4)", "t1: load(a+8)"] },
        { "uffd-self-block", ["a = mmap(4K, rw, private|populate)", "u = uffd()", "uffd_register(u, a, 4K)", "uffd_wp(u, a, 4K, on)",
            "t1 = thread()", "store(a, 1)", "t1: load(a)"] },
        { "uffd-child-unaffected", ["a = mmap(4K, rw, private)", "store(a, 1)", "u = uffd()", "uffd_register(u, a, 4K)", "uffd_wp(u, a, 4K, on)",
            "t1 = fork()", "t1: store(a, 2)", "t1: load(a)", "load(a)"] },
        { "shared-fork-exit-files", ["a = mmap(64K, rw, private)", "b = mmap(8K, rw, shared)", "memset(a, 16K, 5)", "store(b, 1)",
            "madvise(a+8K, 4K, dontfork)", "t1 = fork()", "t1: store(b+8, 2)", "store(a, 9)", "load(b+8)", "t1: load(a)",
            "x = process_vm_readv(t1, a, 64)", "t1: y = process_vm_readv(t0, a, 64)", "f = file(8K)", "pread_direct(f, 4K, a+4K, 4K)",
            "load(a+4K)", "write(f, 0, a, 512)", "pread_direct(f, 0, a+16K, 512)", "load(a+16K)", "t1: munmap(a, 64K)", "t1: exit()",
            "load(b+8)", "t2 = thread()", "t2: store(b, 3)", "t2: load(b)"] },
        { "ranges-with-holes", ["a = mmap(16K, rw, private)", "store(a, 1)", "store(a+8K, 2)", "store(a+12K, 3)", "munmap(a+4K, 4K)",
            "mprotect(a, 16K, r)", "store(a+8K, 4)", "load(a)", "madvise(a, 16K, dontneed)", "load(a)", "load(a+8K)", "store(a+12K, 5)",
            "p = pipe()", "vmsplice(p, a+12K, 8K)", "store(a+12K, 6)", "read(p, 4K)", "load(a+12K)"] },
        { "uffd-register-over-a-hole", ["a = mmap(12K, rw, private)", "store(a, 1)", "store(a+8K, 2)", "munmap(a+4K, 4K)", "u = uffd()",
            "uffd_register(u, a, 12K)", "uffd_wp(u, a+8K, 4K, on)", "t1 = thread()", "t1: store(a+8K, 3)", "store(a, 4)", "load(a+8K)",
            "uffd_resolve(u)", "load(a+8K)", "load(a)"] },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Kernel_and_machine_agree(string name, string[] lines)
    {
        var profile = KernelProfile.Parse(KernelRelease.ProfileFor(KernelRelease.Current())!);
        var r = Assert.Single(RealSession.Run([(name, Programs.Parse(lines))], p => MachinePredictor.Predict(p, profile),
            Gcc.Builder));
        if (r.Skipped)
        {
            output.WriteLine($"SKIP {name}: this kernel refuses {r.Output.Skip}");
            return;
        }
        output.WriteLine(r.Output.Raw);
        Assert.True(r.Comparison!.Agrees, string.Join("\n", r.Comparison.Disagreements));
        Assert.True(r.Comparison.Agreements > 0);
    }
}
