using System.Runtime.CompilerServices;

namespace FuzzFarm.Machine;

/// <summary>
/// The simulated Linux memory-management subsystem under one kernel profile. Deterministic: no clock, no RNG.
/// Reusable: <see cref="Reset"/> returns every object to its pool. Not thread-safe: one per executing core.
/// </summary>
internal sealed partial class Kernel
{
    private readonly Pool<Folio> _smallFolios = new(() => new Folio(1));
    private readonly Pool<Folio> _hugeFolios = new(() => new Folio(Geometry.PmdNr));
    private readonly Pool<PageWords> _words = new(() => new PageWords());
    private readonly Pool<PteTable> _tables = new(() => new PteTable());
    private readonly Pool<Vma> _vmas = new(() => new Vma());
    private readonly Pool<Process> _processes = new(() => new Process());
    private readonly Pool<SimThread> _threads = new(() => new SimThread());
    private readonly Pool<ShmObject> _shm = new(() => new ShmObject());
    private readonly Pool<AsyncOp> _asyncOps = new(() => new AsyncOp());
    private readonly Folio _zero = new(1);
    /// <summary>The huge zero page: a read fault maps it where a THP could go (use_zero_page, on by default).</summary>
    private readonly Folio _hugeZero = new(Geometry.PmdNr);
    private int _pfn;
    private readonly Lineage _lineage = new();
    private int _shmIds;
    /// <summary>Memset calls so far: a folio compares it with the call that last noted it (see NoteLanding).</summary>
    private long _memsetCalls;

    public KernelProfile Profile { get; private set; } = KernelProfile.Named[0];

    public Coverage Coverage { get; } = new();

    /// <summary>Kernel decisions of the current line, when tracing.</summary>
    public List<string>? Trace { get; set; }

    public bool Tracing => Trace is not null;

    /// <summary>The reason of the last <see cref="Status.Failed"/>.</summary>
    public string Error
    {
        get
        {
            if (_reason is { } reason)
            {
                _error = reason.Text();
                _reason = null;
            }
            return _error;
        }
        private set
        {
            _error = value;
            _reason = null;
        }
    }

    private string _error = "";
    // The reasons fuzzed programs meet most are spelled only when read (see FailReason): a fuzzer never reads them.
    private FailReason? _reason;

    /// <summary>The reason of the last failure, unspelled when it still is.</summary>
    private FailReason Reason => _reason ?? FailReason.Of(_error);

    public readonly List<Process> Processes = [];
    /// <summary>Threads by binding slot (t0 is slot 0).</summary>
    public SimThread?[] Threads = [];
    public readonly List<SwapSlot> Swap = [];
    public readonly List<Pipe> Pipes = [];
    public readonly List<Pin> Pins = [];
    public readonly List<Uffd> Uffds = [];
    public readonly List<AsyncOp> Async = [];
    /// <summary>Threads woken since the runner last looked, in wake order.</summary>
    public readonly List<SimThread> Woken = [];
    /// <summary>Kernel warnings since the runner last looked (hangs are judged when the program is over).</summary>
    public readonly List<KernelEvent> Events = [];

    /// <summary>Starts a fresh machine: one process (P0) whose thread t0 sits in slot 0.</summary>
    public void Reset(KernelProfile profile, int slotCount)
    {
        Profile = profile;
        _copiesInFlight = 0;
        _smallFolios.ReturnAll();
        _hugeFolios.ReturnAll();
        _words.ReturnAll();
        _tables.ReturnAll();
        _vmas.ReturnAll();
        _processes.ReturnAll();
        _threads.ReturnAll();
        _shm.ReturnAll();
        _asyncOps.ReturnAll();
        _swapSlots.ReturnAll();
        _pipes.ReturnAll();
        _pins.ReturnAll();
        _uffds.ReturnAll();
        _pfn = 0;
        _shmIds = 0;
        _anonVmaIds = 0;
        _zero.Reset(0, Decision.ZeroMap);
        _zero.Zero = true;
        _hugeZero.Reset(0, Decision.HugeZeroMap);
        _hugeZero.Zero = true;
        Coverage.Clear();
        Processes.Clear();
        Swap.Clear();
        Pipes.Clear();
        Pins.Clear();
        Uffds.Clear();
        Async.Clear();
        Woken.Clear();
        Events.Clear();
        Error = "";
        if (Threads.Length < slotCount)
        {
            Threads = new SimThread?[Math.Max(slotCount, 8)];
        }
        else
        {
            Array.Clear(Threads);
        }
        var p = NewProcess(null, 0);
        p.NextAddr = MmapBase;
        NewThread(p, 0, "t0");
    }

    /// <summary>Where mmap starts placing mappings (PMD-aligned, deterministic).</summary>
    public const ulong MmapBase = 0x7f0000000000;

    private Process NewProcess(Process? parent, long forkTime)
    {
        var p = _processes.Rent();
        p.Reset(Processes.Count, parent, forkTime);
        Processes.Add(p);
        return p;
    }

    internal SimThread NewThread(Process p, int slot, string name)
    {
        var t = _threads.Rent();
        t.Reset(slot, name, p);
        p.Threads.Add(t);
        if (slot >= Threads.Length)
        {
            Array.Resize(ref Threads, slot * 2);
        }
        Threads[slot] = t;
        return t;
    }

    private Status Fail(string error)
    {
        Error = error;
        return Status.Failed;
    }

    private Status Fail(FailReason reason)
    {
        _reason = reason;
        return Status.Failed;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void Note(string text) => Trace!.Add(text);

    internal void Warn(string signature, string detail)
    {
        Coverage.Hit(CovPoint.KernelWarn, 0);
        Events.Add(new KernelEvent(signature, detail));
        if (Tracing)
        {
            Note($"WARN {signature}: {detail}");
        }
    }

    // ---- folios -------------------------------------------------------------------------------------------

    internal Folio AllocSmall(Decision origin)
    {
        var f = _smallFolios.Rent();
        f.Reset(++_pfn, origin);
        f.Anon = true;
        _lineage.Born(f.Pfn, origin);
        return f;
    }

    /// <summary>
    /// Copies subpages [first, first + count) of <paramref name="f"/> into new exclusive base pages that the same entries
    /// of <paramref name="target"/> map with <paramref name="flags"/>. Lineage and pool objects are taken for the run at
    /// once (what AllocSmall and CopiedFrom do per page): a THP is hundreds of copies, alike but for their subpage.
    /// </summary>
    internal void CopySubpagesToBase(Folio f, int first, int count, PteTable target, PteFlags flags, Decision decision, Decision through,
        PageKind throughKind)
    {
        _lineage.CopiedRun(_pfn + 1, count, decision, f.Pfn, PageKind.Base, through, throughKind);
        MapNewPages(target, first, count, flags, decision, f.Words.Slice(first, count));
    }

    /// <summary>
    /// New exclusive base pages, the next <paramref name="count"/> pfns, mapped by entries [first, first + count) of
    /// <paramref name="target"/> with <paramref name="flags"/>: each holds a copy of its <paramref name="words"/> entry,
    /// or nothing when <paramref name="words"/> is empty (fresh pages). The caller records their lineage. Returns the
    /// last page.
    /// </summary>
    private Folio MapNewPages(PteTable target, int first, int count, PteFlags flags, Decision decision, ReadOnlySpan<PageWords?> words)
    {
        var pages = _smallFolios.RentMany(count);
        var ptes = target.AtRun(first, count);
        for (var k = 0; k < count; k++)
        {
            var n = pages[k];
            // CopyPage, then AddMap, folded into the reset.
            PageWords? copy = null;
            if (!words.IsEmpty && words[k] is { } s)
            {
                copy = _words.Rent();
                copy.CopyFrom(s);
            }
            n.ResetMappedAnon(++_pfn, decision, copy);
            ref var pte = ref ptes[k];
            pte.Folio = n;
            pte.Sub = 0;
            pte.Flags = flags;
            pte.Grant = pte.MappedBy = decision;
        }
        return pages[count - 1];
    }

    /// <summary>A new private page's entry: maybe_mkwrite(pte_mkdirty(...)), and pte_mkdirty sets soft-dirty too (x86).</summary>
    private static PteFlags NewPageFlags(Vma vma) => PteFlags.Present | PteFlags.Dirty | PteFlags.SoftDirty | (vma.Write ? PteFlags.Write : 0);

    internal Folio AllocHuge(Decision origin, bool hugetlb)
    {
        var f = _hugeFolios.Rent();
        f.Reset(++_pfn, origin);
        f.Anon = true;
        f.Hugetlb = hugetlb;
        _lineage.Born(f.Pfn, origin);
        _pfn += Geometry.PmdNr - 1;
        return f;
    }

    /// <summary>
    /// The origin of the oldest page in <paramref name="page"/>'s line of copies (COW, unshare, fork's copy, swap-out
    /// and in) that is newer than pfn <paramref name="than"/>: where its contents parted from a page allocated before,
    /// whatever copied them on since. The kind is that page's when it is not <paramref name="page"/> itself.
    /// </summary>
    internal (Decision Origin, PageKind? Kind) Diverged(Folio page, int than) => _lineage.FirstNewer(page.Pfn, than);

    /// <summary>
    /// The page pfn <paramref name="pfn"/> was copied from, the decision by which the copying process mapped it (None
    /// when it was not copied through a mapping) and its kind as that mapping showed it.
    /// </summary>
    internal (int Source, Decision Through, PageKind Kind) CopySource(int pfn) =>
        (_lineage.ParentOf(pfn), _lineage.ThroughOf(pfn), _lineage.ThroughKindOf(pfn));

    internal Folio ZeroPage => _zero;

    internal void Get(Folio f, int n = 1)
    {
        if (!f.Zero)
        {
            f.RefCount += n;
        }
    }

    internal void Put(Folio f, int n = 1)
    {
        if (f.Zero)
        {
            return;
        }
        f.RefCount -= n;
        if (f.RefCount < 0)
        {
            Warn($"kernel-warn in put_page: negative refcount [{PageKindNames.Of(f.Kind(false))}]",
                $"pfn {f.Pfn} refcount {f.RefCount}");
        }
        else if (f.RefCount == 0)
        {
            f.Freed = true;
        }
    }

    /// <summary>
    /// The VMA that holds every template entry of a split table whose template is present, or null (not split, no
    /// template entry left, or the entries span VMAs). Walkers treat such a template's entries alike, run by run.
    /// </summary>
    internal static Vma? TemplateVma(Process p, PteTable table, ulong tStart)
    {
        if (!table.IsSplit || (table.TemplateFlags & PteFlags.Present) == 0 || !table.TemplateSpan(out var first, out var last))
        {
            return null;
        }
        var vma = p.FindVma(tStart + ((ulong)first << Geometry.PageShift));
        return vma is not null && vma.Contains(tStart + ((ulong)last << Geometry.PageShift)) ? vma : null;
    }

    internal void AddMap(Folio f, int sub)
    {
        if (!f.Zero)
        {
            f.AddPteMap(sub, 1);
            f.RefCount++;
        }
    }

    /// <summary>A PMD mapping of a whole folio: compound mapcount and a reference (none for the huge zero page).</summary>
    internal void AddPmdMap(Folio f)
    {
        if (!f.Zero)
        {
            f.CompoundMapcount++;
            f.RefCount++;
        }
    }

    internal void RemovePmdMap(Folio f)
    {
        if (!f.Zero)
        {
            f.CompoundMapcount--;
            Put(f);
        }
    }

    internal void RemoveMap(Folio f, int sub)
    {
        if (f.Zero)
        {
            return;
        }
        f.AddPteMap(sub, -1);
        if (f.PteMapcount(sub) < 0)
        {
            Warn($"kernel-warn in page_remove_rmap: negative mapcount [{PageKindNames.Of(f.Kind(false))}]",
                $"pfn {f.Pfn}+{sub} mapcount {f.PteMapcount(sub)}");
        }
        Put(f);
    }

    // ---- contents -----------------------------------------------------------------------------------------

    /// <summary>Whether <paramref name="p"/>'s page table maps subpage <paramref name="sub"/> of <paramref name="f"/> at <paramref name="addr"/>, writable or not.</summary>
    internal static bool Maps(Process p, ulong addr, Folio f, int sub) => TryMapping(p, addr, f, sub, out _);

    /// <summary>
    /// How <paramref name="p"/>'s entry at <paramref name="addr"/> came to map subpage <paramref name="sub"/> of
    /// <paramref name="f"/> (see <see cref="Pte.MappedBy"/>); None when it does not map it there.
    /// </summary>
    internal static Decision MappedBy(Process p, ulong addr, Folio f, int sub) =>
        TryMapping(p, addr, f, sub, out var mappedBy) ? mappedBy : Decision.None;

    /// <summary>The entry (PMD or PTE) at <paramref name="addr"/>, when it maps subpage <paramref name="sub"/> of <paramref name="f"/>.</summary>
    private static bool TryMapping(Process p, ulong addr, Folio f, int sub, out Decision mappedBy)
    {
        mappedBy = Decision.None;
        if (p.Table(addr) is not { } table)
        {
            return false;
        }
        var i = (int)((addr >> Geometry.PageShift) & (Geometry.PmdNr - 1));
        if (table.Huge is { } huge)
        {
            mappedBy = table.HugeMappedBy;
            return huge == f && i == sub;
        }
        var pte = table.Peek(i);
        mappedBy = pte.MappedBy;
        return pte.Folio == f && pte.Sub == sub;
    }

    internal static ulong ReadWord(Folio f, int sub, int word) => f.Words[sub]?.Get(word) ?? 0;

    /// <summary>Every word of a subpage, into <paramref name="into"/> (a page long); zeros if it was never written.</summary>
    internal static void ReadPage(Folio f, int sub, Span<ulong> into)
    {
        if (f.Words[sub] is { } words)
        {
            words.CopyTo(into);
        }
        else
        {
            into[..Geometry.WordsPerPage].Clear();
        }
    }

    internal void WriteWords(Folio f, int sub, int fromWord, int count, ulong value)
    {
        if (_copiesInFlight > 0)
        {
            NoteWriteDuringCopy(f, sub);
        }
        var w = f.Words[sub];
        if (w is null)
        {
            w = _words.Rent();
            w.Reset();
            f.SetWords(sub, w);
        }
        w.SetRange(fromWord, count, value);
    }

    internal void CopyPage(Folio src, int srcSub, Folio dst, int dstSub)
    {
        var s = src.Words[srcSub];
        if (s is null)
        {
            dst.SetWords(dstSub, null);
            return;
        }
        var d = _words.Rent();
        d.CopyFrom(s);
        dst.SetWords(dstSub, d);
    }

    internal PageWords RentWords()
    {
        var w = _words.Rent();
        w.Reset();
        return w;
    }

    // ---- page tables --------------------------------------------------------------------------------------

    internal PteTable GetTable(Process p, ulong addr)
    {
        var t = p.Table(addr);
        if (t is null)
        {
            t = _tables.Rent();
            t.Reset(addr >> Geometry.PmdShift);
            p.Tables.Add(t);
        }
        return t;
    }

    internal static int PteIndex(ulong addr) => (int)((addr >> Geometry.PageShift) & (Geometry.PmdNr - 1));

    internal Vma NewVma()
    {
        var v = _vmas.Rent();
        v.Uffd = -1;
        v.Shm = null;
        return v;
    }

    internal ShmObject NewShm(bool hugetlb)
    {
        var o = _shm.Rent();
        o.Reset(++_shmIds, hugetlb);
        return o;
    }

    // ---- TLB ----------------------------------------------------------------------------------------------

    /// <summary>flush_tlb_range on every CPU running the mm: pages [first, last].</summary>
    internal void FlushTlb(Process p, ulong firstPage, ulong lastPage)
    {
        var n = 0;
        foreach (var t in p.Threads)
        {
            n += t.Tlb.Flush(firstPage, lastPage);
        }
        if (n > 0 && Tracing)
        {
            var range = lastPage >= ulong.MaxValue >> Geometry.PageShift ? "(whole mm)"
                : $"0x{firstPage << Geometry.PageShift:x}..0x{(lastPage + 1) << Geometry.PageShift:x}";
            Note($"TLB flush P{p.Id} {range}: {n} entries dropped");
        }
    }

    internal void FlushTlbAll(Process p) => FlushTlb(p, 0, ulong.MaxValue);

    /// <summary>
    /// pmdp_invalidate: a huge PMD is rewritten (change_huge_pmd, clear_soft_dirty_pmd) with a flush of its range, so
    /// no stale entry outlives the change, whatever happens to the flush of the PTEs around it.
    /// </summary>
    internal void FlushPmd(Process p, ulong pmdStart)
    {
        var first = pmdStart >> Geometry.PageShift;
        FlushTlb(p, first, first + Geometry.PmdNr - 1);
    }

    /// <summary>
    /// A PTE lost write permission or changed, and the flush is deferred or missing. Returns how many CPUs kept an
    /// entry that still allows writing, <paramref name="busy"/>'s not counted (it waits in the op that left them);
    /// <paramref name="any"/>: whether any CPU kept one.
    /// </summary>
    internal static int MarkStale(Process p, ulong firstPage, ulong lastPage, Decision cause, SimThread? busy, out bool any)
    {
        var cpus = 0;
        any = false;
        foreach (var t in p.Threads)
        {
            if (t.Tlb.MarkStale(firstPage, lastPage, cause) > 0)
            {
                any = true;
                cpus += t == busy ? 0 : 1;
            }
        }
        return cpus;
    }

    // ---- mmap lock ----------------------------------------------------------------------------------------

    /// <summary>True when an unfinished op holds <paramref name="p"/>'s mmap lock in a mode that conflicts.</summary>
    internal static bool LockBusy(Process p, bool write) => p.LockWriter != 0 || (write && p.LockReaders > 0);

    /// <summary>Blocks <paramref name="t"/> until <paramref name="p"/>'s mmap lock is released.</summary>
    internal Status BlockOnLock(SimThread t, Process p)
    {
        Coverage.Hit(CovPoint.LockBlock, 0);
        t.State = RunState.Blocked;
        t.BlockedOn = BlockKind.MmapLock;
        t.BlockedId = p.Id;
        if (Tracing)
        {
            Note($"{t} blocks on the mmap lock of P{p.Id}");
        }
        t.HangCause = "mmap_lock: blocked on a lock its own op holds";
        return Status.Blocked;
    }

    internal void Wake(SimThread t)
    {
        t.State = RunState.Running;
        t.BlockedOn = BlockKind.None;
        t.HangCause = null;
        Woken.Add(t);
        if (Tracing)
        {
            Note($"{t} wakes");
        }
    }

    /// <summary>
    /// Once the program is over, a thread still blocked by the kernel's doing: follow who could wake it (a uffd's
    /// handler, the thread of the op holding a lock). If that leads back to the thread, nothing ever will: a hang.
    /// Judged at the end, because a thread that blocks may yet be served (another thread resolves its fault), and
    /// the wait that closes the cycle may come after the kernel's.
    /// </summary>
    internal KernelEvent? Hang(SimThread t)
    {
        if (t.State != RunState.Blocked || t.HangCause is not { } cause)
        {
            return null;
        }
        var current = t;
        for (var hops = 0; hops < 64; hops++)
        {
            SimThread? next = null;
            if (current.BlockedOn == BlockKind.Uffd)
            {
                next = Uffds[current.BlockedId].Handler;
            }
            else if (current.BlockedOn == BlockKind.MmapLock)
            {
                var holder = Processes[current.BlockedId].LockWriter;
                next = holder != 0 ? Async[holder - 1].Thread : null;
            }
            if (next is null)
            {
                return null;
            }
            if (next == t)
            {
                Coverage.Hit(CovPoint.Hang, hops);
                return new KernelEvent($"hang in {cause}", $"{t} waits for an event only it{(hops > 0 ? " (or a thread it blocks)" : "")} could deliver");
            }
            if (next.State != RunState.Blocked)
            {
                return null;
            }
            current = next;
        }
        return null;
    }
}
