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

    public static Pte PteOf(Process p, ulong a) => p.Table(a)!.Peek(Kernel.PteIndex(a));

    public static Folio FolioOf(Process p, ulong a) => p.Table(a)!.Huge ?? PteOf(p, a).Folio!;
}
