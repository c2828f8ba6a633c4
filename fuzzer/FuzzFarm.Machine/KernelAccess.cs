namespace FuzzFarm.Machine;

/// <summary>
/// CPU loads and stores: through the CPU's TLB when it holds a translation (with write permission for a store),
/// else by walking the page table and faulting. A store through a writable TLB entry writes the physical page
/// directly, whatever the page table says now.
/// </summary>
internal sealed partial class Kernel
{
    private FaultResult Translate(SimThread t, ulong addr, bool write, AsyncOp? split, out Landing landing)
    {
        var p = t.Process;
        var page = addr >> Geometry.PageShift;
        if (t.Tlb.TryFind(page, out var e))
        {
            if (!write || e.Writable)
            {
                landing = new Landing { Folio = e.Folio, Sub = e.Sub, Grant = e.Grant, Stale = e.Stale, Kind = e.Kind, Page = page };
                if (e.Stale != Decision.None)
                {
                    Coverage.Hit(write ? CovPoint.StaleTlbWrite : CovPoint.StaleTlbRead, e.Folio, e.Sub);
                    Coverage.HitStale(write, e.Stale, e.Folio, write ? StaleWriteMeetsCopy(e.Folio, e.Sub, addr) : StaleCopy.None);
                    if (Tracing)
                    {
                        Note($"cpu {t} {(write ? "wrote" : "read")} through a stale TLB entry (0x{addr & ~0xfffUL:x} -> pfn {e.Folio.Pfn}{SubText(e.Folio, e.Sub)}, {(e.Writable ? "writable" : "read-only")}, stale since {DecisionText.Of(e.Stale)}) to pfn {e.Folio.Pfn}{SubText(e.Folio, e.Sub)}");
                    }
                }
                else
                {
                    Coverage.Hit(CovPoint.TlbHit, write ? 1 : 0);
                }
                return FaultResult.Ok;
            }
        }
        for (var attempt = 0; attempt < 8; attempt++)
        {
            var vma = p.FindVma(addr);
            var table = vma is null ? null : p.Table(addr);
            // The MMU asks the entry, not the VMA: a write goes through an entry the kernel left writable in a VMA
            // without VM_WRITE (5.8's forced hugetlb COW, fork's hugetlb copy before 6.14).
            if (vma is not null && table is not null && vma.Read)
            {
                Folio? f = null;
                var sub = 0;
                var flags = PteFlags.None;
                var grant = Decision.None;
                var pmd = false;
                if (table.Huge is not null)
                {
                    f = table.Huge;
                    sub = PteIndex(addr);
                    flags = table.HugeFlags;
                    grant = table.HugeGrant;
                    pmd = true;
                }
                else
                {
                    var pte = table.Peek(PteIndex(addr));
                    if (pte.Present)
                    {
                        f = pte.Folio;
                        sub = pte.Sub;
                        flags = pte.Flags;
                        grant = pte.Grant;
                    }
                }
                if (f is not null && (!write || (flags & PteFlags.Write) != 0))
                {
                    var writable = (flags & PteFlags.Write) != 0;
                    if (writable && Profile.AnonExclusive && f.Anon && !f.Exclusive[pmd ? 0 : sub])
                    {
                        Warn($"kernel-warn in {DecisionText.Of(grant).Split(':')[0]}: writable PTE to a non-exclusive anon page [{PageKindNames.Of(f.Kind(pmd))}]",
                            $"P{p.Id} 0x{addr & ~0xfffUL:x} -> pfn {f.Pfn}{SubText(f, sub)} writable but not PageAnonExclusive");
                    }
                    var kind = f.Kind(pmd);
                    t.Tlb.Fill(new TlbEntry { Page = page, Folio = f, Sub = (short)sub, Writable = writable, Grant = grant, Kind = kind });
                    landing = new Landing { Folio = f, Sub = (short)sub, Grant = grant, Kind = kind, Page = page };
                    return FaultResult.Ok;
                }
            }
            var r = Fault(t, p, addr, write ? FaultKind.Write : FaultKind.Read, split);
            if (r != FaultResult.Ok)
            {
                landing = default;
                return r;
            }
        }
        landing = default;
        Error = $"fault loop at 0x{addr:x}";
        return FaultResult.Segv;
    }

    private Status FromFault(FaultResult r) => r switch
    {
        FaultResult.Ok => Status.Done,
        FaultResult.Blocked => Status.Blocked,
        FaultResult.Split => Status.Pending,
        _ => Status.Failed,
    };

    private bool CheckWord(ulong addr)
    {
        if ((addr & 7) != 0)
        {
            Error = $"EINVAL: address 0x{addr:x} is not 8-byte aligned";
            return false;
        }
        return true;
    }

    /// <summary>CPU write of one word. With <paramref name="split"/>, a COW copy stops before installing the PTE.</summary>
    internal Status Store(SimThread t, ulong addr, ulong token, AsyncOp? split, out Landing landing)
    {
        landing = default;
        if (!CheckWord(addr))
        {
            return Status.Failed;
        }
        var r = Translate(t, addr, write: true, split, out landing);
        if (r == FaultResult.Split)
        {
            split!.Kind = AsyncKind.Store;
            split.Value = token;
            split.Pending = true;
            split.Lock = 1;
            t.Process.LockReaders++;
            return Status.Pending;
        }
        if (r != FaultResult.Ok)
        {
            return FromFault(r);
        }
        WriteWords(landing.Folio, landing.Sub, (int)((addr & 0xfff) >> 3), 1, token);
        return Status.Done;
    }

    /// <summary>Finishes a split store: install the copy if the PTE is unchanged (pte_same), else back off; then store.</summary>
    internal Status FinishStore(AsyncOp op, out Landing landing)
    {
        var p = op.Target;
        p.LockReaders--;
        op.Pending = false;
        _copiesInFlight--;
        var table = p.Table(op.Addr);
        var idx = PteIndex(op.Addr);
        var same = table is not null && table.Huge is null && table.Peek(idx).Folio == op.OrigFolio
            && table.Peek(idx).Sub == op.OrigSub && table.Peek(idx).Flags == op.OrigFlags;
        if (same)
        {
            // The store held the mmap lock across its window, so the VMA is the one its fault saw.
            InstallCopy(p, p.FindVma(op.Addr)!, table!, idx, op.Addr, op.NewFolio!, op.CopyDecision, unshare: false);
        }
        else
        {
            Coverage.Hit(CovPoint.WpBackOff, 0);
            if (Tracing)
            {
                Note($"wp_page_copy: PTE of 0x{op.Addr & ~0xfffUL:x} changed meanwhile (pte_same fails): back off, drop pfn {op.NewFolio!.Pfn}, retry the store");
            }
            op.NewFolio!.Freed = true;
        }
        Put(op.OrigFolio!);
        ReleaseLockWaiters(p);
        if (p.Killed)
        {
            // The fault returns into the SIGKILL: the store instruction never runs again.
            landing = default;
            Error = "killed by exit before the store ran again";
            return Status.Failed;
        }
        return Store(op.Thread, op.Addr, op.Value, null, out landing);
    }

    /// <summary>Wakes threads waiting for the mmap lock once no split op holds it.</summary>
    private void ReleaseLockWaiters(Process p)
    {
        if (LockBusy(p, false))
        {
            return;
        }
        foreach (var q in Processes)
        {
            foreach (var t in q.Threads)
            {
                if (t.State == RunState.Blocked && t.BlockedOn == BlockKind.MmapLock && t.BlockedId == p.Id)
                {
                    Wake(t);
                }
            }
        }
    }

    /// <summary>
    /// CPU write of every word in [addr, addr+len), page by page. Reports the landing of the first page written (or of
    /// a later one written through a stale TLB entry), how many bytes were written before a fault stopped it, and in
    /// <paramref name="perFolio"/> one landing per folio written (a stale one preferred): a write across huge pages can
    /// reach each through a different decision.
    /// </summary>
    internal Status Memset(SimThread t, ulong addr, long len, ulong token, out Landing landing, out long written, List<Landing> perFolio)
    {
        landing = default;
        written = 0;
        if (!CheckWord(addr) || len <= 0 || (len & 7) != 0)
        {
            Error = len <= 0 || (len & 7) != 0 ? $"EINVAL: length {len} is not a positive multiple of 8" : Error;
            return Status.Failed;
        }
        var end = addr + (ulong)len;
        var a = addr;
        var call = ++_memsetCalls;
        while (a < end)
        {
            var pageEnd = (a | 0xfff) + 1;
            var stop = Math.Min(pageEnd, end);
            var r = Translate(t, a, write: true, null, out var l);
            if (r != FaultResult.Ok)
            {
                return FromFault(r);
            }
            WriteWords(l.Folio, l.Sub, (int)((a & 0xfff) >> 3), (int)((stop - a) >> 3), token);
            if (landing.Folio is null || l.Stale != Decision.None)
            {
                landing = l;
            }
            NoteLanding(perFolio, l, call);
            a = stop;
            written = (long)(a - addr);
        }
        return Status.Done;
    }

    /// <summary>
    /// Keeps one landing per folio written, the stale one if any was. The folio remembers its index in the list for
    /// this call: searching the list instead made a 2 MiB memset of 512 small pages quadratic (most of its time).
    /// </summary>
    private static void NoteLanding(List<Landing> perFolio, in Landing l, long call)
    {
        var f = l.Folio;
        if (f.LandingCall == call)
        {
            var i = f.LandingIndex;
            if (perFolio[i].Stale == Decision.None && l.Stale != Decision.None)
            {
                // The entry keeps the first page the folio took: the list stays in address order.
                perFolio[i] = l with { Page = perFolio[i].Page };
            }
            return;
        }
        f.LandingCall = call;
        f.LandingIndex = perFolio.Count;
        perFolio.Add(l);
    }

    /// <summary>CPU read of one word.</summary>
    internal Status Load(SimThread t, ulong addr, out ulong value, out Landing landing)
    {
        value = 0;
        landing = default;
        if (!CheckWord(addr))
        {
            return Status.Failed;
        }
        var r = Translate(t, addr, write: false, null, out landing);
        if (r != FaultResult.Ok)
        {
            return FromFault(r);
        }
        value = ReadWord(landing.Folio, landing.Sub, (int)((addr & 0xfff) >> 3));
        return Status.Done;
    }
}
