namespace FuzzFarm.Machine;

internal enum FaultKind : byte
{
    Read,
    Write,
    /// <summary>FAULT_FLAG_UNSHARE (5.19+): break COW without mapping writable.</summary>
    Unshare,
}

internal enum FaultResult : byte
{
    Ok,
    Segv,
    Blocked,
    /// <summary>A split store stopped inside wp_page_copy: copy made, PTE not yet replaced.</summary>
    Split,
}

/// <summary>Page faults: do_anonymous_page, do_wp_page (reuse or copy), do_huge_pmd_wp_page, do_swap_page, hugetlb.</summary>
internal sealed partial class Kernel
{
    /// <summary>
    /// handle_mm_fault for <paramref name="p"/> at <paramref name="addr"/>. <paramref name="t"/> is the thread that
    /// waits if the fault blocks (for a remote GUP, the caller). <paramref name="forced"/>: a read GUP turned into a
    /// write by 5.8's COW breaking (for the hang signature). GUP checked the VMA against the caller's read, so a forced
    /// write may fault a mapping without VM_WRITE, as FOLL_FORCE does: the page is copied or reused, mapped dirty but
    /// not writable (<see cref="WriteBits"/>), and GUP takes it through FOLL_COW.
    /// </summary>
    internal FaultResult Fault(SimThread t, Process p, ulong addr, FaultKind kind, AsyncOp? split = null, bool forced = false)
    {
        // do_user_addr_fault takes the mmap read lock before it looks up the VMA: a fault on a range a split mprotect
        // is changing waits for it, and only then finds whether the access is allowed.
        if (LockBusy(p, false))
        {
            BlockOnLock(t, p);
            return FaultResult.Blocked;
        }
        var vma = p.FindVma(addr);
        if (vma is null || (kind == FaultKind.Write ? !vma.Write && !forced : !vma.Read))
        {
            Coverage.Hit(CovPoint.Segv, (int)kind);
            _reason = FailReason.Segv(vma is not null, kind, addr);
            return FaultResult.Segv;
        }
        var table = GetTable(p, addr);
        if (vma.Hugetlb)
        {
            return HugetlbFault(t, p, vma, table, addr, kind, forced);
        }
        if (table.Huge is not null)
        {
            if (kind == FaultKind.Read || (kind == FaultKind.Write && (table.HugeFlags & PteFlags.Write) != 0))
            {
                return FaultResult.Ok;
            }
            var r = HugePmdWp(t, p, vma, table, addr, kind, forced);
            if (r != FaultResult.Ok || table.Huge is not null)
            {
                return r;
            }
            // Split: fall back to the PTE fault below.
        }
        var idx = PteIndex(addr);
        ref var pte = ref table.At(idx);
        if (pte.IsNone)
        {
            if (vma.Shared)
            {
                return SharedFault(p, vma, table, idx, addr, kind);
            }
            var r = AnonFault(p, vma, table, addr, kind);
            if (r != FaultResult.Ok || kind != FaultKind.Unshare)
            {
                return r;
            }
            return Fault(t, p, addr, kind, split, forced);
        }
        if (pte.IsSwap)
        {
            return SwapIn(t, p, vma, table, idx, addr, kind, split, forced);
        }
        return kind switch
        {
            FaultKind.Write when pte.Writable => FaultResult.Ok,
            FaultKind.Write => WpPage(t, p, vma, table, idx, addr, unshare: false, split, forced),
            FaultKind.Unshare when NeedsUnshare(pte.Folio!, pte.Sub, pmd: false) => WpPage(t, p, vma, table, idx, addr, unshare: true, null, forced),
            _ => FaultResult.Ok,
        };
    }

    /// <summary>
    /// maybe_mkwrite(pte_mkdirty(...)) of a write fault that reuses or copies an anonymous page: only a VM_WRITE mapping
    /// gets the write bit.
    /// </summary>
    internal static PteFlags WriteBits(Vma vma) =>
        PteFlags.Dirty | PteFlags.SoftDirty | (vma.Write ? PteFlags.Write : PteFlags.None);

    /// <summary>What <see cref="WriteBits"/> gives, for the trace.</summary>
    private static string WriteBitsText(Vma vma) => vma.Write ? "writable" : "dirty, read-only (forced write, FOLL_COW)";

    /// <summary>do_huge_pmd_anonymous_page on a read: the huge zero page, read-only (use_zero_page).</summary>
    private FaultResult MapHugeZero(Process p, Vma vma, PteTable table, ulong pmdStart)
    {
        // do_huge_pmd_anonymous_page prepares the anon_vma before it chooses the huge zero page.
        PrepareAnonVma(p, vma);
        table.Huge = _hugeZero;
        table.HugeFlags = PteFlags.Present;
        table.HugeGrant = table.HugeMappedBy = Decision.HugeZeroMap;
        Coverage.Hit(CovPoint.ZeroFault, 1);
        if (Tracing)
        {
            Note($"do_huge_pmd_anonymous_page: P{p.Id} 0x{pmdStart:x} -> huge zero page (read fault)");
        }
        return FaultResult.Ok;
    }

    /// <summary>do_huge_pmd_anonymous_page on a write: a new exclusive THP.</summary>
    private FaultResult NewThp(Process p, Vma vma, PteTable table, ulong pmdStart)
    {
        PrepareAnonVma(p, vma);
        var thp = AllocHuge(Decision.ThpNew, hugetlb: false);
        thp.Exclusive[0] = true;
        thp.CompoundMapcount = 1;
        thp.RefCount = 1;
        table.Huge = thp;
        table.HugeFlags = NewPageFlags(vma);
        table.HugeGrant = table.HugeMappedBy = Decision.ThpNew;
        Coverage.Hit(CovPoint.ThpFault, thp, 0, true);
        if (Tracing)
        {
            Note($"do_huge_pmd_anonymous_page: P{p.Id} 0x{pmdStart:x} -> THP pfn {thp.Pfn} (PMD{(vma.Write ? " writable" : "")})");
        }
        return FaultResult.Ok;
    }

    /// <summary>An anon page is shared (not exclusive) or the zero page: unsharing has work to do.</summary>
    private static bool NeedsUnshare(Folio f, int sub, bool pmd) => f.Zero || (f.Anon && !f.Exclusive[pmd ? 0 : sub]);

    private FaultResult AnonFault(Process p, Vma vma, PteTable table, ulong addr, FaultKind kind)
    {
        var pmdStart = addr & ~(ulong)(Geometry.PmdSize - 1);
        // __handle_mm_fault tries a huge PMD only while the PMD is none, i.e. no PTE table sits under it.
        if (vma.ThpEligible(pmdStart) && !table.Allocated)
        {
            return kind == FaultKind.Read ? MapHugeZero(p, vma, table, pmdStart) : NewThp(p, vma, table, pmdStart);
        }
        if (Tracing && vma.ThpEligible(pmdStart) && !table.HasPtes)
        {
            Note($"__handle_mm_fault: P{p.Id} 0x{pmdStart:x} PMD not none (an emptied PTE table is kept): base page");
        }
        ref var pte = ref table.At(PteIndex(addr));
        if (kind == FaultKind.Read)
        {
            pte.Folio = _zero;
            pte.Sub = 0;
            pte.Flags = PteFlags.Present;
            pte.Grant = pte.MappedBy = Decision.ZeroMap;
            Coverage.Hit(CovPoint.ZeroFault, 0);
            if (Tracing)
            {
                Note($"do_anonymous_page: P{p.Id} 0x{addr & ~0xfffUL:x} -> zero page (read fault)");
            }
            return FaultResult.Ok;
        }
        // The zero page above needs no anon_vma; a private page does (anon_vma_prepare).
        PrepareAnonVma(p, vma);
        var f = AllocSmall(Decision.AnonNew);
        f.Exclusive[0] = true;
        pte.Folio = f;
        pte.Sub = 0;
        pte.Flags = NewPageFlags(vma);
        pte.Grant = pte.MappedBy = Decision.AnonNew;
        AddMap(f, 0);
        Coverage.Hit(CovPoint.AnonFault, f);
        if (Tracing)
        {
            Note($"do_anonymous_page: P{p.Id} 0x{addr & ~0xfffUL:x} -> pfn {f.Pfn}");
        }
        return FaultResult.Ok;
    }

    private FaultResult SharedFault(Process p, Vma vma, PteTable table, int idx, ulong addr, FaultKind kind)
    {
        var index = (vma.ShmOffset + (long)(addr - vma.Start)) >> Geometry.PageShift;
        var shm = vma.Shm!;
        if (!shm.Pages.TryGetValue(index, out var f))
        {
            f = AllocSmall(Decision.ShmemMap);
            f.Anon = false;
            f.RefCount = 1;
            shm.Pages[index] = f;
        }
        ref var pte = ref table.At(idx);
        var flags = PteFlags.Present | (kind == FaultKind.Write ? PteFlags.Write | PteFlags.Dirty | PteFlags.SoftDirty : 0);
        pte.Flags = ThroughMarker(vma, pte.Flags, flags, f);
        pte.Folio = f;
        pte.Sub = 0;
        pte.Grant = pte.MappedBy = Decision.ShmemMap;
        AddMap(f, 0);
        Coverage.Hit(CovPoint.ShmemFault, f);
        if (Tracing)
        {
            Note($"shmem fault: P{p.Id} 0x{addr & ~0xfffUL:x} -> pfn {f.Pfn}{(kind == FaultKind.Write ? " writable" : "")}");
        }
        return FaultResult.Ok;
    }

    /// <summary>Blocks the faulting thread until the uffd handler resolves the write-protect fault.</summary>
    private FaultResult BlockOnUffd(SimThread t, int uffd, ulong addr, PageKind kind, bool forced)
    {
        if (_faultMayNotRetry)
        {
            Coverage.Hit(CovPoint.WpUffdBlock, 2);
            Error = $"handle_userfault at 0x{addr & ~0xfffUL:x}: no FAULT_FLAG_ALLOW_RETRY for a GUP that holds the mmap lock (VM_FAULT_SIGBUS)";
            if (Tracing)
            {
                Note(Error);
            }
            return FaultResult.Segv;
        }
        Coverage.Hit(CovPoint.WpUffdBlock, forced ? 1 : 0);
        t.State = RunState.Blocked;
        t.BlockedOn = BlockKind.Uffd;
        t.BlockedId = uffd;
        t.BlockedAddr = addr & ~0xfffUL;
        if (Tracing)
        {
            Note($"handle_userfault: {t} write fault at 0x{addr:x} on a uffd-wp PTE{(forced ? " (read GUP forced to write)" : "")}: waits for {Uffds[uffd].Handler}");
        }
        // Only a write the thread did not ask for (5.8's forced COW on a read GUP) makes a self-wait the kernel's
        // doing; a handler writing its own protected range is the program's deadlock, not a kernel hang.
        t.HangCause = forced ? $"handle_userfault: read GUP forced write on a uffd-wp page [{PageKindNames.Of(kind)}]" : null;
        return FaultResult.Blocked;
    }

    // ---- do_wp_page ---------------------------------------------------------------------------------------

    /// <summary>do_wp_page for a R/O PTE (write or unshare fault): reuse the page or copy it, by the profile's rule.</summary>
    private FaultResult WpPage(SimThread t, Process p, Vma vma, PteTable table, int idx, ulong addr, bool unshare, AsyncOp? split, bool forced)
    {
        ref var pte = ref table.At(idx);
        var f = pte.Folio!;
        int sub = pte.Sub;
        var kind = f.Kind(pmdMapped: false);
        if (!unshare && vma.UffdWp && (pte.Flags & PteFlags.UffdWp) != 0)
        {
            return BlockOnUffd(t, vma.Uffd, addr, kind, forced);
        }
        if (f.Zero)
        {
            Coverage.Hit(CovPoint.WpCopyZero, unshare ? 1 : 0);
            return WpCopy(p, vma, table, idx, addr, unshare ? Decision.UnshareCopy : Decision.WpCopyZero, unshare, split);
        }
        if (!f.Anon)
        {
            Coverage.Hit(CovPoint.WpShared, f);
            if (!unshare)
            {
                pte.Flags |= PteFlags.Write | PteFlags.Dirty | PteFlags.SoftDirty;
                pte.Grant = Decision.WpShared;
            }
            return FaultResult.Ok;
        }
        Decision reuse;
        Decision copy;
        if (Profile.AnonExclusive && f.Exclusive[sub])
        {
            reuse = Decision.WpReuseExclusive;
            copy = Decision.None;
            Coverage.Hit(CovPoint.WpExclusive, f, sub);
        }
        else if (f.Large)
        {
            (reuse, copy) = PteThpReuseRule(p, f, sub, addr);
        }
        else
        {
            (reuse, copy) = BaseRule(f);
        }
        if (reuse != Decision.None)
        {
            Coverage.Hit(CovPoint.WpReuse, f, sub);
            if (Profile.AnonExclusive)
            {
                f.Exclusive[sub] = true;
            }
            if (unshare)
            {
                if (Tracing)
                {
                    Note($"unshare: P{p.Id} 0x{addr & ~0xfffUL:x} pfn {f.Pfn}{SubText(f, sub)} reusable ({DecisionText.Of(reuse)}; {Counts(f, sub)}): marked exclusive");
                }
                return FaultResult.Ok;
            }
            pte.Flags |= WriteBits(vma);
            pte.Grant = reuse;
            if (Tracing)
            {
                Note($"{DecisionText.Of(reuse)}: P{p.Id} 0x{addr & ~0xfffUL:x} pfn {f.Pfn}{SubText(f, sub)} ({Counts(f, sub)}) -> {WriteBitsText(vma)}");
            }
            return FaultResult.Ok;
        }
        Coverage.Hit(CovPoint.WpCopy, f, sub);
        if (Tracing)
        {
            Note($"{DecisionText.Of(copy)}: P{p.Id} 0x{addr & ~0xfffUL:x} pfn {f.Pfn}{SubText(f, sub)} ({Counts(f, sub)})");
        }
        return WpCopy(p, vma, table, idx, addr, unshare ? Decision.UnshareCopy : copy, unshare, split);
    }

    internal static string SubText(Folio f, int sub) => f.Large ? $"+{sub}" : "";

    internal string Counts(Folio f, int sub) =>
        $"ref {f.RefCount}, map {f.Mapcount(sub)}{(f.Large ? $", compound map {f.CompoundMapcount}, pincount {f.PinCount}" : "")}" +
        $"{(f.SwapCache ? $", swapcache (swapcount {SwapCount(f)})" : "")}{(Profile.AnonExclusive ? (f.Exclusive[sub] ? ", exclusive" : ", shared") : "")}";

    internal int SwapCount(Folio f) => f.SwapCache && f.SwapSlot >= 0 ? Swap[f.SwapSlot].Count : 0;

    /// <summary>The base-page reuse rule of the profile. Returns the reuse decision, or None and the copy decision.</summary>
    private (Decision Reuse, Decision Copy) BaseRule(Folio f)
    {
        switch (Profile.BaseReuse)
        {
            case BaseReuseRule.Mapcount:
                {
                    // reuse_swap_page(): mapcount + swapcount, GUP references ignored.
                    var count = f.Mapcount(0) + SwapCount(f);
                    if (count > 1)
                    {
                        return (Decision.None, Decision.WpCopyMapcount);
                    }
                    if (f.SwapCache)
                    {
                        DeleteFromSwapCache(f);
                    }
                    return (Decision.WpReuseMapcount, Decision.None);
                }
            case BaseReuseRule.PageCount:
                return f.RefCount == 1 && f.Mapcount(0) == 1 ? (Decision.WpReusePageCount, Decision.None) : (Decision.None, Decision.WpCopyPageCount);
            default:
                {
                    if (f.RefCount > 1 + (f.SwapCache ? 1 : 0))
                    {
                        return (Decision.None, Decision.WpCopyPageCount);
                    }
                    if (f.SwapCache && SwapCount(f) == 0)
                    {
                        DeleteFromSwapCache(f);
                    }
                    return f.RefCount == 1 ? (Decision.WpReusePageCount, Decision.None) : (Decision.None, Decision.WpCopyPageCount);
                }
        }
    }

    /// <summary>Reuse rule for a subpage of a PTE-mapped THP.</summary>
    private (Decision Reuse, Decision Copy) PteThpReuseRule(Process p, Folio f, int sub, ulong addr)
    {
        switch (Profile.PteThpReuse)
        {
            case Machine.PteThpRule.Mapcount:
                return f.MaxMapcount() + SwapCount(f) <= 1 ? (Decision.WpReuseMapcount, Decision.None) : (Decision.None, Decision.WpCopyMapcount);
            case Machine.PteThpRule.PageCount:
                return f.RefCount == 1 && f.Mapcount(sub) == 1 ? (Decision.WpReusePageCount, Decision.None) : (Decision.None, Decision.WpCopyPageCount);
            default:
                {
                    // 6.15: every reference is a mapping of this MM (folio_large_mapcount == refcount, not maybe-shared);
                    // a folio left with one mapping is copied instead, so that the large folio can be freed.
                    var mapped = f.TotalMapcount();
                    var onlyUs = mapped > 1 && !MappedByOtherMm(p, f, addr);
                    return onlyUs && mapped == f.RefCount ? (Decision.WpReuseMmOwner, Decision.None) : (Decision.None, Decision.WpCopyMmOwner);
                }
        }
    }

    private bool MappedByOtherMm(Process self, Folio f, ulong addr)
    {
        foreach (var q in Processes)
        {
            if (q == self || q.MmGone)
            {
                continue;
            }
            var t = q.Table(addr);
            if (t is null)
            {
                continue;
            }
            if (t.Huge == f)
            {
                return true;
            }
            foreach (var i in t.Used)
            {
                if (t.Peek(i).Folio == f)
                {
                    return true;
                }
            }
        }
        return false;
    }

    /// <summary>wp_page_copy: copy the page, then (unless split) replace the PTE with ptep_clear_flush.</summary>
    private FaultResult WpCopy(Process p, Vma vma, PteTable table, int idx, ulong addr, Decision decision, bool unshare, AsyncOp? split)
    {
        ref var pte = ref table.At(idx);
        var old = pte.Folio!;
        var page = addr >> Geometry.PageShift;
        if (Profile.UffdWpFlushBeforeCopy && vma.UffdWp && p.TlbFlushPending > 0)
        {
            Coverage.Hit(CovPoint.WpFlushBeforeCopy, p.TlbFlushPending);
            if (Tracing)
            {
                Note($"do_wp_page: uffd-wp VMA with a TLB flush pending: flush 0x{addr & ~0xfffUL:x} before copying");
            }
            FlushTlb(p, page, page);
        }
        NoteCopyWhileWritable(p, page, old, pte.Sub, split is not null && !unshare);
        // wp_page_copy prepares the anon_vma (a copy of the zero page may be the VMA's first private page).
        PrepareAnonVma(p, vma);
        var n = AllocSmall(decision);
        n.Exclusive[0] = true;
        if (!old.Zero)
        {
            CopyPage(old, pte.Sub, n, 0);
        }
        _lineage.CopiedFrom(n.Pfn, old.Pfn, PageKind.Base, pte.MappedBy, old.Kind(pmdMapped: false));
        if (split is not null && !unshare)
        {
            // do_wp_page holds a reference on the old page across the copy: a racing fault sees it (an unshare
            // cannot reuse the page meanwhile), and it is dropped once the copy is installed or backed off.
            Get(old);
            split.NewFolio = n;
            split.OrigFolio = old;
            split.OrigSub = pte.Sub;
            split.OrigFlags = pte.Flags;
            split.CopyDecision = decision;
            split.Addr = addr;
            _copiesInFlight++;
            if (Tracing)
            {
                Note($"wp_page_copy: copied pfn {old.Pfn}{SubText(old, pte.Sub)} to pfn {n.Pfn}; stopped before installing the PTE");
            }
            return FaultResult.Split;
        }
        InstallCopy(p, vma, table, idx, addr, n, decision, unshare);
        return FaultResult.Ok;
    }

    /// <summary>The second half of wp_page_copy: ptep_clear_flush, map the copy, drop the old page.</summary>
    internal void InstallCopy(Process p, Vma vma, PteTable table, int idx, ulong addr, Folio n, Decision decision, bool unshare)
    {
        ref var pte = ref table.At(idx);
        var old = pte.Folio!;
        var oldSub = pte.Sub;
        var page = addr >> Geometry.PageShift;
        FlushTlb(p, page, page);
        pte.Folio = n;
        pte.Sub = 0;
        // wp_page_copy: a write maps the copy writable and dirty (pte_mkdirty sets soft-dirty too on x86); an unshare
        // maps it read-only and clean, carrying over the old PTE's soft-dirty and uffd-wp bits.
        pte.Flags = unshare
            ? PteFlags.Present | (pte.Flags & (PteFlags.SoftDirty | PteFlags.UffdWp))
            : PteFlags.Present | WriteBits(vma);
        pte.Grant = pte.MappedBy = decision;
        AddMap(n, 0);
        RemoveMap(old, oldSub);
        Coverage.Hit(CovPoint.WpInstall, old, oldSub);
        if (Tracing)
        {
            Note($"wp_page_copy: P{p.Id} 0x{addr & ~0xfffUL:x} now maps pfn {n.Pfn}{(unshare ? " read-only (unshare)" : " " + WriteBitsText(vma))}; old pfn {old.Pfn}{SubText(old, oldSub)} {(old.Zero ? "(zero page)" : $"ref {old.RefCount}, map {old.Mapcount(oldSub)}")}");
        }
    }

    // ---- THP ----------------------------------------------------------------------------------------------

    /// <summary>do_huge_pmd_wp_page (write or unshare on a R/O PMD-mapped THP).</summary>
    private FaultResult HugePmdWp(SimThread t, Process p, Vma vma, PteTable table, ulong addr, FaultKind kind, bool forced)
    {
        var f = table.Huge!;
        var unshare = kind == FaultKind.Unshare;
        if (!unshare && vma.UffdWp && (table.HugeFlags & PteFlags.UffdWp) != 0)
        {
            return BlockOnUffd(t, vma.Uffd, addr, PageKind.Thp, forced);
        }
        if (unshare && !NeedsUnshare(f, 0, pmd: true))
        {
            return FaultResult.Ok;
        }
        // 5.7 copies to a new THP only where __transparent_hugepage_enabled(vma) allows one: not after
        // madvise(nohugepage), which changes the flags and leaves the PMD as it was. 6.13's do_huge_zero_wp_pmd asks
        // nothing of the VMA and serves an unshare alike.
        var zeroToThp = Profile.HugeZeroWpThp
            || (!unshare && Profile.PmdThpReuse == PmdThpRule.MapcountCopy && vma.ThpAllowed);
        if (f.Zero && !zeroToThp)
        {
            // From 5.8 (3917c80280c9, THP COW by split) the huge zero PMD is split and the PTE fault copies the zero
            // page; 5.7 and 6.13+ allocate a new THP below, 5.7 only where it may.
            if (Tracing)
            {
                Note($"do_huge_pmd_wp_page: P{p.Id} huge zero page: split PMD, fault per PTE");
            }
            SplitPmd(p, table);
            return FaultResult.Ok;
        }
        // The huge zero page is never reused: 5.7 copies it (below).
        var (reuse, split) = f.Zero ? (Decision.None, false) : PmdReuseRule(f, unshare);
        if (reuse != Decision.None)
        {
            Coverage.Hit(CovPoint.PmdReuse, f, 0, true);
            if (Profile.AnonExclusive)
            {
                f.Exclusive[0] = true;
            }
            if (Tracing)
            {
                Note($"{DecisionText.Of(reuse)}: P{p.Id} THP pfn {f.Pfn} (ref {f.RefCount}, compound map {f.CompoundMapcount}, max map {f.MaxMapcount()}){(unshare ? ": marked exclusive" : " -> PMD " + WriteBitsText(vma))}");
            }
            if (!unshare)
            {
                table.HugeFlags |= WriteBits(vma);
                table.HugeGrant = reuse;
            }
            return FaultResult.Ok;
        }
        if (split)
        {
            if (Tracing)
            {
                Note($"do_huge_pmd_wp_page: P{p.Id} THP pfn {f.Pfn} not reusable (ref {f.RefCount}, compound map {f.CompoundMapcount}): split PMD, COW per PTE");
            }
            SplitPmd(p, table);
            return FaultResult.Ok;
        }
        if (!vma.ThpAllowed && !f.Zero)
        {
            return CopyThpToBasePages(p, vma, table, f);
        }
        // 5.7: allocate a new THP and copy the whole folio; 5.7 and 6.13+: a cleared one for the huge zero page, mapped
        // writable where the VMA allows it even for an unshare (map_anon_folio_pmd), without the uffd-wp bit.
        var copy = f.Zero ? Decision.PmdCopyHugeZero : Decision.PmdCopyThp;
        Coverage.Hit(CovPoint.PmdCopy, f, 0, true);
        var n = AllocHuge(copy, hugetlb: false);
        for (var i = 0; i < Geometry.PmdNr; i++)
        {
            CopyPage(f, i, n, i);
        }
        _lineage.CopiedFrom(n.Pfn, f.Pfn, PageKind.Thp, table.HugeMappedBy, f.Kind(pmdMapped: true));
        n.Exclusive[0] = true;
        var first = (table.Index << Geometry.PmdShift) >> Geometry.PageShift;
        FlushTlb(p, first, first + Geometry.PmdNr - 1);
        table.Huge = n;
        table.HugeFlags = PteFlags.Present | WriteBits(vma);
        table.HugeGrant = table.HugeMappedBy = copy;
        n.CompoundMapcount = 1;
        n.RefCount = 1;
        RemovePmdMap(f);
        if (Tracing)
        {
            Note($"{DecisionText.Of(copy)}: P{p.Id} {(f.Zero ? "huge zero page" : $"THP pfn {f.Pfn}")} (compound map {f.CompoundMapcount + 1}) copied to THP pfn {n.Pfn}");
        }
        return FaultResult.Ok;
    }

    /// <summary>
    /// 5.7's do_huge_pmd_wp_page_fallback: a THP the VMA allows no new THP for is copied into 512 base pages, each
    /// mapped dirty (and writable in a VM_WRITE mapping) by its own PTE; the THP loses its PMD mapping.
    /// </summary>
    private FaultResult CopyThpToBasePages(Process p, Vma vma, PteTable table, Folio f)
    {
        Coverage.Hit(CovPoint.PmdCopy, f, 0, pmdMapped: false);
        var first = (table.Index << Geometry.PmdShift) >> Geometry.PageShift;
        FlushTlb(p, first, first + Geometry.PmdNr - 1);
        var through = table.HugeMappedBy;
        table.Huge = null;
        table.HugeFlags = PteFlags.None;
        CopySubpagesToBase(f, 0, Geometry.PmdNr, table, PteFlags.Present | WriteBits(vma), Decision.PmdCopyFallback, through, f.Kind(pmdMapped: true));
        if (Tracing)
        {
            Note($"do_huge_pmd_wp_page_fallback: P{p.Id} THP pfn {f.Pfn} (compound map {f.CompoundMapcount}) copied to base pages pfn {_pfn - Geometry.PmdNr + 1}..{_pfn}: the VMA allows no new THP");
        }
        RemovePmdMap(f);
        return FaultResult.Ok;
    }

    /// <summary>do_huge_pmd_wp_page's rule for a THP: reuse it (which decision), or split it (else 5.7 copies it).</summary>
    private (Decision Reuse, bool Split) PmdReuseRule(Folio f, bool unshare)
    {
        var reuse = Decision.None;
        var split = false;
        if (Profile.AnonExclusive && f.Exclusive[0])
        {
            reuse = Decision.PmdReuseExclusive;
            Coverage.Hit(CovPoint.PmdExclusive, f, 0, true);
        }
        else
        {
            switch (Profile.PmdThpReuse)
            {
                case PmdThpRule.MapcountCopy:
                case PmdThpRule.MapcountSplit:
                    if (f.MaxMapcount() + SwapCount(f) <= 1)
                    {
                        reuse = Decision.PmdReuseMapcount;
                    }
                    else
                    {
                        split = Profile.PmdThpReuse == PmdThpRule.MapcountSplit || unshare;
                    }
                    break;
                default:
                    if (f.RefCount == 1)
                    {
                        reuse = Decision.PmdReusePageCount;
                    }
                    else
                    {
                        split = true;
                    }
                    break;
            }
        }
        return (reuse, split);
    }

    /// <summary>__split_huge_pmd: the PMD becomes 512 PTEs; each PTE holds a reference (HPAGE_PMD_NR-1 added).</summary>
    internal void SplitPmd(Process p, PteTable table)
    {
        var f = table.Huge!;
        Coverage.Hit(CovPoint.PmdSplit, f, 0, true);
        var flags = table.HugeFlags;
        var grant = table.HugeGrant;
        if (f.Zero)
        {
            // __split_huge_zero_page_pmd: read-only special PTEs of the zero page, no counts; uffd-wp kept from 6.3.
            var keep = Profile.HugeZeroSplitKeepsUffdWp ? PteFlags.UffdWp : PteFlags.None;
            table.MapAll(f, PteFlags.Present | (flags & keep), Decision.ZeroMap, Decision.ZeroMap);
        }
        else
        {
            // The table under a huge PMD holds no PTEs, so every entry is overwritten.
            table.MapAll(f, flags, grant, table.HugeMappedBy);
            f.AddPteMapAll();
            f.Exclusive.Fill(f.Exclusive[0]);
            f.CompoundMapcount--;
            f.RefCount += Geometry.PmdNr - 1;
        }
        table.Huge = null;
        table.HugeFlags = PteFlags.None;
        var first = (table.Index << Geometry.PmdShift) >> Geometry.PageShift;
        FlushTlb(p, first, first + Geometry.PmdNr - 1);
        if (Tracing)
        {
            Note(f.Zero ? $"__split_huge_zero_page_pmd: P{p.Id} 512 PTEs of the zero page"
                : $"__split_huge_pmd: P{p.Id} THP pfn {f.Pfn} now PTE-mapped (ref {f.RefCount}, compound map {f.CompoundMapcount})");
        }
    }

    // ---- hugetlb ------------------------------------------------------------------------------------------

    private FaultResult HugetlbFault(SimThread t, Process p, Vma vma, PteTable table, ulong addr, FaultKind kind, bool forced)
    {
        var f = table.Huge;
        if (f is null)
        {
            var marker = table.HugeFlags;
            if (vma.Shared)
            {
                var index = (vma.ShmOffset + (long)(addr - vma.Start)) >> Geometry.PmdShift;
                if (!vma.Shm!.Pages.TryGetValue(index, out f))
                {
                    f = AllocHuge(Decision.HugetlbNew, hugetlb: true);
                    f.Anon = false;
                    f.RefCount = 1;
                    vma.Shm.Pages[index] = f;
                }
                // hugetlb_no_page maps a shared writable VMA's page writable and dirty on any fault (make_huge_pte's
                // writable argument is VM_WRITE && VM_SHARED), a read fault too: there is no write-notify to wait for.
                table.HugeFlags = ThroughMarker(vma, marker, PteFlags.Present | (vma.Write ? PteFlags.Write | PteFlags.Dirty | PteFlags.SoftDirty : 0), f);
            }
            else
            {
                f = AllocHuge(Decision.HugetlbNew, hugetlb: true);
                f.Exclusive[0] = true;
                var flags = PteFlags.Present | PteFlags.Dirty | (kind == FaultKind.Write ? PteFlags.Write : 0);
                // A private write fault runs hugetlb_wp on the new page at once, which made it writable past the
                // marker's bit (set_huge_ptep_writable keeps the bit) until 6.3 made it stop there (60d5b473d61b).
                var through = ThroughMarker(vma, marker, flags, f);
                table.HugeFlags = kind == FaultKind.Write && !Profile.HugetlbWpHonorsUffdWp ? through | (flags & PteFlags.Write) : through;
            }
            AddPmdMap(f);
            table.Huge = f;
            table.HugeGrant = table.HugeMappedBy = Decision.HugetlbNew;
            Coverage.Hit(CovPoint.HugetlbFault, f, 0, true);
            if (Tracing)
            {
                Note($"hugetlb_no_page: P{p.Id} 0x{addr & ~(ulong)(Geometry.PmdSize - 1):x} -> hugetlb pfn {f.Pfn}{((table.HugeFlags & PteFlags.Write) != 0 ? " writable" : " read-only")}");
            }
            return FaultResult.Ok;
        }
        var unshare = kind == FaultKind.Unshare;
        if (kind == FaultKind.Read || (kind == FaultKind.Write && (table.HugeFlags & PteFlags.Write) != 0)
            || (unshare && !NeedsUnshare(f, 0, pmd: true)))
        {
            return FaultResult.Ok;
        }
        if (!unshare && vma.UffdWp && (table.HugeFlags & PteFlags.UffdWp) != 0)
        {
            return BlockOnUffd(t, vma.Uffd, addr, PageKind.Hugetlb, forced);
        }
        if (!f.Anon)
        {
            if (!unshare)
            {
                table.HugeFlags |= PteFlags.Write | PteFlags.Dirty | PteFlags.SoftDirty;
                table.HugeGrant = Decision.WpShared;
            }
            return FaultResult.Ok;
        }
        // Every kernel's hugetlb_wp reuses by mapcount; a page_count rule (a proposed fix for the vmsplice leak) would,
        // like do_wp_page's, reuse an anon-exclusive page first, or a pinned page would be copied away from its pin.
        var reuse = Profile.HugetlbReuse == HugetlbRule.Mapcount
            ? (f.CompoundMapcount == 1 ? Decision.HugetlbReuseMapcount : Decision.None)
            : Profile.AnonExclusive && f.Exclusive[0] ? Decision.HugetlbReuseExclusive
            : (f.RefCount == 1 ? Decision.HugetlbReusePageCount : Decision.None);
        if (reuse != Decision.None)
        {
            Coverage.Hit(CovPoint.HugetlbReuse, f, 0, true);
            f.Exclusive[0] = true;
            if (Tracing)
            {
                Note($"{DecisionText.Of(reuse)}: P{p.Id} hugetlb pfn {f.Pfn} (ref {f.RefCount}, map {f.CompoundMapcount}){(unshare ? ": marked exclusive" : " -> writable")}");
            }
            if (!unshare)
            {
                table.HugeFlags |= PteFlags.Write | PteFlags.Dirty | PteFlags.SoftDirty;
                table.HugeGrant = reuse;
            }
            return FaultResult.Ok;
        }
        Coverage.Hit(CovPoint.HugetlbCopy, f, 0, true);
        var n = AllocHuge(Decision.HugetlbCopy, hugetlb: true);
        for (var i = 0; i < Geometry.PmdNr; i++)
        {
            CopyPage(f, i, n, i);
        }
        _lineage.CopiedFrom(n.Pfn, f.Pfn, PageKind.Hugetlb, table.HugeMappedBy, PageKind.Hugetlb);
        n.Exclusive[0] = true;
        var first = (table.Index << Geometry.PmdShift) >> Geometry.PageShift;
        FlushTlb(p, first, first + Geometry.PmdNr - 1);
        table.Huge = n;
        // hugetlb_wp: make_huge_pte(!unshare), so an unshare copy is read-only and clean; the uffd-wp bit carries over
        // from 6.4.
        table.HugeFlags = unshare
            ? PteFlags.Present | (table.HugeFlags & (Profile.HugetlbUnshareKeepsUffdWp ? PteFlags.UffdWp : PteFlags.None))
            : PteFlags.Present | PteFlags.Write | PteFlags.Dirty | PteFlags.SoftDirty;
        table.HugeGrant = table.HugeMappedBy = unshare ? Decision.UnshareCopy : Decision.HugetlbCopy;
        n.CompoundMapcount = 1;
        n.RefCount = 1;
        RemovePmdMap(f);
        if (Tracing)
        {
            Note($"{DecisionText.Of(Decision.HugetlbCopy)}: P{p.Id} hugetlb pfn {f.Pfn} (ref {f.RefCount + 1}, map {f.CompoundMapcount + 1}) copied to pfn {n.Pfn}");
        }
        return FaultResult.Ok;
    }
}
