namespace FuzzFarm.Machine;

internal enum RunState : byte
{
    Running,
    Blocked,
    Exited,
}

internal enum BlockKind : byte
{
    None,
    /// <summary>Waiting for a userfaultfd handler to resolve a write-protect fault (Id: the uffd).</summary>
    Uffd,
    /// <summary>Waiting for the mmap lock (Id: the process).</summary>
    MmapLock,
}

/// <summary>A thread, running on its own CPU with its own TLB.</summary>
internal sealed class SimThread
{
    public readonly Tlb Tlb = new();
    public int Slot;
    public string Name = "";
    public Process Process = null!;
    public RunState State;
    public BlockKind BlockedOn;
    public int BlockedId;
    /// <summary>The faulting address while blocked on a userfaultfd.</summary>
    public ulong BlockedAddr;
    /// <summary>Set by the runner: the statement to run again when the thread wakes.</summary>
    public int PendingStatement = -1;
    /// <summary>
    /// While blocked by the kernel's doing (5.8's forced write, a lock its own op holds): the hang's cause, should
    /// nothing ever wake the thread. A wait the program chose has none.
    /// </summary>
    public string? HangCause;

    public void Reset(int slot, string name, Process process)
    {
        Slot = slot;
        Name = name;
        Process = process;
        State = RunState.Running;
        BlockedOn = BlockKind.None;
        BlockedId = 0;
        PendingStatement = -1;
        HangCause = null;
        BlockedMmRef = null;
        Tlb.Clear();
    }

    /// <summary>The mm a blocked clear_refs or process_vm_readv took a reference on before blocking (kept for its retry).</summary>
    public Process? BlockedMmRef;

    public override string ToString() => $"P{Process.Id}.{Name}";
}
