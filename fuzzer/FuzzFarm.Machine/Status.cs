namespace FuzzFarm.Machine;

/// <summary>How a kernel operation ended.</summary>
internal enum Status : byte
{
    Done,
    /// <summary>The operation failed (EINVAL, EFAULT, SIGSEGV ...): <see cref="Kernel.Error"/> says why.</summary>
    Failed,
    /// <summary>The thread blocked; the op runs again when the thread wakes.</summary>
    Blocked,
    /// <summary>Split with <c>&amp;</c>: stopped at its preemption point, finished by <c>wait</c>.</summary>
    Pending,
}

/// <summary>Where a CPU or device access landed, and which decision made it possible.</summary>
internal struct Landing
{
    public Folio Folio;
    public short Sub;
    /// <summary>The decision that granted the translation used.</summary>
    public Decision Grant;
    /// <summary>Set when the access went through a stale TLB entry: the decision that left it stale.</summary>
    public Decision Stale;
    public PageKind Kind;
    /// <summary>The virtual page (address >> 12) the access went through; 0 for device accesses through a pin.</summary>
    public ulong Page;
}

/// <summary>An assertion of the simulated kernel that failed (a kernel-warn, in <see cref="Kernel.Events"/>), or a hang (<see cref="Kernel.Hang"/>).</summary>
internal readonly record struct KernelEvent(string Signature, string Detail);
