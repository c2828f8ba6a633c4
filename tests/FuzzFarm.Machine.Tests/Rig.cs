using FuzzFarm.Oracle;
using FuzzFarm.Programs;
using Xunit;

namespace FuzzFarm.Machine.Tests;

/// <summary>A booted kernel with helpers that assert each call succeeded.</summary>
internal sealed class Rig
{
    public Rig(string profile)
    {
        K.Reset(KernelProfile.Parse(profile), 16);
        T0 = K.Threads[0]!;
    }

    public Kernel K { get; } = new();

    /// <summary>The named profiles, oldest first, on which <paramref name="program"/> shows a violation.</summary>
    public static List<string> ViolatingProfiles(FuzzFarm.Programs.Program program)
    {
        var executor = new Executor();
        return [.. KernelProfile.Named.Where(k => executor.Run(program, k).Violations.Count > 0).Select(k => k.Name)];
    }

    /// <summary>The one value the last observation of <paramref name="program"/> saw on <paramref name="profile"/>.</summary>
    public static string LastSeen(string program, string profile) =>
        new Executor().Run(ProgramParser.Parse(program), KernelProfile.Parse(profile)).Observations[^1].Values.Single();

    public SimThread T0 { get; }

    public Process P0 => T0.Process;

    private ulong _token;

    public ulong Map(long len, Flag flags = Flag.Private, Flag prot = Flag.Rw)
    {
        Assert.Equal(Status.Done, K.Mmap(T0, len, prot, flags, out var a));
        return a;
    }

    /// <summary>A 2M private mapping with MADV_HUGEPAGE, faulted in as a PMD-mapped THP by a store at <paramref name="touch"/>.</summary>
    public ulong MapThp(ulong touch = 0)
    {
        var a = Map(2 << 20);
        Assert.Equal(Status.Done, K.Madvise(T0, a, 2 << 20, Flag.HugePage));
        Store(T0, a + touch);
        return a;
    }

    public Landing Store(SimThread t, ulong a)
    {
        Assert.Equal(Status.Done, K.Store(t, a, ++_token, null, out var l));
        return l;
    }

    public ulong Load(SimThread t, ulong a)
    {
        Assert.Equal(Status.Done, K.Load(t, a, out var v, out _));
        return v;
    }

    public SimThread Fork(SimThread t, int slot)
    {
        Assert.Equal(Status.Done, K.Fork(t, slot, $"t{slot}", (long)_token, out var c));
        return c;
    }

    /// <summary>A written private 4K page that fork shares with a live child (not exclusive, R/O in both).</summary>
    public ulong SharedWithChild(out SimThread child)
    {
        var a = Map(4096);
        Store(T0, a);
        child = Fork(T0, 1);
        return a;
    }

    /// <summary>Registers [a, a+len) with a new userfaultfd handled by t0 and write-protects it; returns the uffd.</summary>
    public int WriteProtect(ulong a, long len)
    {
        var u = K.NewUffd(T0);
        Assert.Equal(Status.Done, K.UffdRegister(T0, u, a, len));
        Assert.Equal(Status.Done, K.UffdWp(T0, u, a, len, true, null));
        return u;
    }

    public static Pte PteOf(Process p, ulong a) => p.Table(a)!.Peek(Kernel.PteIndex(a));

    public static Folio FolioOf(Process p, ulong a) => p.Table(a)!.Huge ?? PteOf(p, a).Folio!;
}
