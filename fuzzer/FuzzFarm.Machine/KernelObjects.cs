namespace FuzzFarm.Machine;

/// <summary>A swap slot: the swapcache folio while there is one, else the written-out contents.</summary>
internal sealed class SwapSlot
{
    public Folio? Cached;
    public PageWords? Content;
    /// <summary>Pfn of the page <see cref="Content"/> was written from (a page swapped in takes over its lineage).</summary>
    public int SourcePfn;
    /// <summary>Swap PTEs referring to the slot (swap_count).</summary>
    public int Count;
}

/// <summary>A page GUP took: the subpage, its kind, and the decision that granted the PTE it was found through.</summary>
internal readonly record struct GupPage(Folio Folio, int Sub, PageKind Kind, Decision Grant);

/// <summary>A pipe buffer holding a FOLL_GET reference to (part of) a page, as vmsplice leaves it.</summary>
internal struct PipeBuffer
{
    public Folio Folio;
    public short Sub;
    public short FromWord;
    public short Words;
    /// <summary>The process that vmspliced the page, and the address the buffer starts at.</summary>
    public Process Owner;
    public ulong Addr;
    /// <summary>The runner's tag for the piece (which snapshot of the source it checks against).</summary>
    public int Tag;
    /// <summary>The decision that granted the PTE GUP found the page through.</summary>
    public Decision Grant;
    /// <summary>The page as GUP found it (a THP through a PMD or a PTE): what a signature names.</summary>
    public PageKind Kind;
}

internal sealed class Pipe
{
    public readonly List<PipeBuffer> Buffers = [];
}

/// <summary>A pin_user_pages() registration (RDMA, io_uring fixed buffer): FOLL_PIN references to the pages.</summary>
internal sealed class Pin
{
    public Process Owner = null!;
    public ulong Addr;
    public long Len;
    public bool Write;
    public bool Longterm;
    public bool Released;
    public readonly List<GupPage> Pages = [];
}

/// <summary>A userfaultfd in write-protect mode; its handler is the thread that created it.</summary>
internal sealed class Uffd
{
    public SimThread Handler = null!;
    public Process Process = null!;
}

internal enum AsyncKind : byte
{
    Store,
    Mprotect,
    ClearRefs,
    UffdWp,
    PreadDirect,
    ProcessVmReadv,
}

/// <summary>An op split with <c>&amp;</c>, stopped at its kernel preemption point until <c>wait</c>.</summary>
internal sealed class AsyncOp
{
    public int Id;
    public AsyncKind Kind;
    public SimThread Thread = null!;
    public Process Target = null!;
    public bool Pending;
    public ulong Addr;
    public long Len;
    public ulong Value;
    /// <summary>Which mmap lock mode the op holds until it finishes (0 none, 1 read, 2 write).</summary>
    public int Lock;
    public Decision StaleCause;
    // store: the COW copy made, and the PTE it must still match at install time (pte_same).
    public Folio? NewFolio;
    public Folio? OrigFolio;
    public short OrigSub;
    public PteFlags OrigFlags;
    public Decision CopyDecision;
    public bool Unshare;
    // GUP-based ops: the pages taken.
    public readonly List<GupPage> Pages = [];
    public bool PinPages;
    /// <summary>The runner's tag for the op's data (process_vm_readv: its first snapshot).</summary>
    public int Tag;

    public void Reset(int id, AsyncKind kind, SimThread thread, Process target)
    {
        Id = id;
        Kind = kind;
        Thread = thread;
        Target = target;
        Pending = false;
        Addr = 0;
        Len = 0;
        Value = 0;
        Lock = 0;
        StaleCause = Decision.None;
        NewFolio = null;
        OrigFolio = null;
        OrigSub = 0;
        OrigFlags = PteFlags.None;
        CopyDecision = Decision.None;
        Unshare = false;
        Pages.Clear();
        PinPages = false;
        Tag = 0;
        MmRef = null;
    }

    /// <summary>The mm reference a split clear_refs or process_vm_readv holds until it finishes.</summary>
    public Process? MmRef;
}
