using System.Runtime.InteropServices;

namespace FuzzFarm.Machine;

/// <summary>A process: its mm (VMAs, page tables, MMF_HAS_PINNED, mmap lock, pending TLB flushes) and threads.</summary>
internal sealed class Process
{
    public int Id;
    public Process? Parent;
    /// <summary>Kernel clock value at the fork that created this process (the oracle's "parted" time).</summary>
    public long ForkTime;
    /// <summary>Every thread has exited; the mm may live on (<see cref="MmUsers"/>).</summary>
    public bool Exited;
    /// <summary>
    /// exit_group has killed the threads: each still finishes the syscall it is inside, but none returns to run an
    /// instruction again (a store whose fault backed off is not retried).
    /// </summary>
    public bool Killed;
    /// <summary>
    /// mm_users taken by another process's clear_refs or process_vm_readv (get_task_mm, mm_access) until its syscall
    /// ends: exit_mmap, the teardown, runs at the last mmput, so the mappings outlive the exit until then.
    /// </summary>
    public int MmUsers;
    /// <summary>The mappings are torn down.</summary>
    public bool MmGone;
    public bool HasPinned;
    /// <summary>mm_tlb_flush_pending(): PTE changes whose TLB flush has not happened yet.</summary>
    public int TlbFlushPending;
    /// <summary>Async op holding the mmap lock for write (0: none).</summary>
    public int LockWriter;
    /// <summary>Async ops holding the mmap lock for read.</summary>
    public int LockReaders;
    public ulong NextAddr;
    public readonly List<Vma> Vmas = [];
    public readonly List<PteTable> Tables = [];
    public readonly List<SimThread> Threads = [];
    // Tables are only ever added, and keep their index, so the last one found stays valid until Reset: walks and
    // faults ask for the same table page after page.
    private PteTable? _lastTable;

    public void Reset(int id, Process? parent, long forkTime)
    {
        Id = id;
        Parent = parent;
        ForkTime = forkTime;
        Exited = false;
        Killed = false;
        MmUsers = 0;
        MmGone = false;
        HasPinned = false;
        TlbFlushPending = 0;
        LockWriter = 0;
        LockReaders = 0;
        NextAddr = 0;
        Vmas.Clear();
        Tables.Clear();
        _lastTable = null;
        Threads.Clear();
    }

    /// <summary>The first VMA that ends above <paramref name="addr"/> (find_vma): the one holding it, or the next.</summary>
    public Vma? FindVmaFrom(ulong addr)
    {
        foreach (var v in CollectionsMarshal.AsSpan(Vmas))
        {
            if (v.End > addr)
            {
                return v;
            }
        }
        return null;
    }

    public Vma? FindVma(ulong addr)
    {
        foreach (var v in CollectionsMarshal.AsSpan(Vmas))
        {
            if (v.Contains(addr))
            {
                return v;
            }
        }
        return null;
    }

    /// <summary>
    /// <see cref="FindVma(ulong)"/> for a walk page by page: <paramref name="last"/>, the VMA found for the previous page,
    /// is searched for again only once the walk leaves it (VMAs do not overlap).
    /// </summary>
    public Vma? FindVma(ulong addr, Vma? last) => last is not null && last.Contains(addr) ? last : FindVma(addr);

    public PteTable? Table(ulong addr)
    {
        var index = addr >> Geometry.PmdShift;
        if (_lastTable is { } last && last.Index == index)
        {
            return last;
        }
        foreach (var t in CollectionsMarshal.AsSpan(Tables))
        {
            if (t.Index == index)
            {
                _lastTable = t;
                return t;
            }
        }
        return null;
    }

    public void InsertVma(Vma vma)
    {
        var i = 0;
        while (i < Vmas.Count && Vmas[i].Start < vma.Start)
        {
            i++;
        }
        Vmas.Insert(i, vma);
    }

    public override string ToString() => $"P{Id}";
}
