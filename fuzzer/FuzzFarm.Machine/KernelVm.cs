using FuzzFarm.Programs;

namespace FuzzFarm.Machine;

/// <summary>mmap, munmap, mprotect (change_protection) and madvise.</summary>
internal sealed partial class Kernel
{
    /// <summary>Largest mapping the machine accepts: keeps populate and page walks bounded.</summary>
    public const long MaxMapping = 256L << 20;

    private readonly List<(ulong Start, ulong End)> _walk = [];

    internal Status Mmap(SimThread t, long len, Flag prot, Flag flags, out ulong addr)
    {
        addr = 0;
        var p = t.Process;
        var hugetlb = (flags & Flag.Hugetlb) != 0;
        var unit = hugetlb ? Geometry.PmdSize : Geometry.PageSize;
        if (len <= 0 || len > MaxMapping)
        {
            return Fail($"EINVAL: mmap length {len} (1 .. {MaxMapping >> 20}M)");
        }
        if (LockBusy(p, true))
        {
            return BlockOnLock(t, p);
        }
        var size = (ulong)((len + unit - 1) / unit * unit);
        addr = p.NextAddr;
        p.NextAddr += (size + (ulong)Geometry.PmdSize - 1) / (ulong)Geometry.PmdSize * (ulong)Geometry.PmdSize + (ulong)Geometry.PmdSize;
        var vma = NewVma();
        vma.Start = addr;
        vma.End = addr + size;
        vma.SetProt(prot);
        vma.Shared = (flags & Flag.Shared) != 0;
        vma.MayWrite = true;
        vma.DontCopy = vma.HugePage = vma.NoHugePage = false;
        vma.Hugetlb = hugetlb;
        vma.SoftDirty = true;
        vma.AnonVma = 0;
        vma.AnonVmaForked = false;
        // accountable_mapping: private, writable, not hugetlb.
        vma.Account = !vma.Shared && vma.Write && !hugetlb;
        vma.ShmOffset = 0;
        if (vma.Shared)
        {
            vma.Shm = NewShm(hugetlb);
        }
        p.InsertVma(vma);
        if (Tracing)
        {
            Note($"mmap: P{p.Id} [0x{vma.Start:x}, 0x{vma.End:x}) {(vma.Shared ? "shared" : "private")}{(hugetlb ? " hugetlb" : "")} {(vma.Write ? "rw" : vma.Read ? "r" : "none")}");
        }
        if ((flags & Flag.Populate) != 0 && vma.Read)
        {
            var kind = vma.Write && !vma.Shared ? FaultKind.Write : FaultKind.Read;
            for (var a = vma.Start; a < vma.End;)
            {
                if (kind == FaultKind.Write && !hugetlb && !Tracing && PopulateAnonTable(p, vma, a) is var next && next > a)
                {
                    a = next;
                    continue;
                }
                var r = Fault(t, p, a, kind);
                if (r != FaultResult.Ok)
                {
                    return FromFault(r);
                }
                a += (ulong)unit;
            }
        }
        return Status.Done;
    }

    /// <summary>
    /// The write faults of MAP_POPULATE from <paramref name="a"/> to the end of its page table (or of
    /// <paramref name="vma"/>), when that table is new: each would find its PTE none and map a new exclusive page
    /// (do_anonymous_page, no THP outside MADV_HUGEPAGE), so the pages are made as one run, with the pfns, lineage,
    /// counts and coverage the faults give them. Returns where the run ends, or <paramref name="a"/> when the faults
    /// must run one by one.
    /// </summary>
    private ulong PopulateAnonTable(Process p, Vma vma, ulong a)
    {
        var pmdStart = a & ~(ulong)(Geometry.PmdSize - 1);
        var table = GetTable(p, a);
        if (table.Huge is not null || table.IsSplit || !table.Used.IsEmpty || vma.ThpEligible(pmdStart))
        {
            return a;
        }
        var end = Math.Min(vma.End, pmdStart + Geometry.PmdSize);
        var first = PteIndex(a);
        var count = (int)((end - a) >> Geometry.PageShift);
        PrepareAnonVma(p, vma);
        _lineage.BornRun(_pfn + 1, count, Decision.AnonNew);
        var last = MapNewPages(table, first, count, NewPageFlags(vma), Decision.AnonNew, default);
        // Every page is in the same state, so the faults' hits are one feature.
        Coverage.Hit(CovPoint.AnonFault, last);
        return end;
    }

    /// <summary>Makes sure a VMA boundary falls at <paramref name="addr"/>.</summary>
    private void SplitVmaAt(Process p, ulong addr)
    {
        var v = p.FindVma(addr);
        if (v is null || v.Start == addr)
        {
            return;
        }
        // vma_adjust_trans_huge: a PMD-mapped THP cannot straddle two VMAs. Only an unaligned boundary cuts one: at an
        // aligned one, the THP starting there lies wholly inside the tail.
        if (!Geometry.PmdAligned(addr) && p.Table(addr) is { Huge: { Hugetlb: false } } table)
        {
            SplitPmd(p, table);
        }
        var tail = NewVma();
        tail.CopyFrom(v);
        tail.Start = addr;
        tail.ShmOffset = v.ShmOffset + (long)(addr - v.Start);
        v.End = addr;
        p.InsertVma(tail);
    }

    private void SplitVmas(Process p, ulong start, ulong end)
    {
        SplitVmaAt(p, start);
        SplitVmaAt(p, end);
    }

    /// <summary>
    /// Splits at the range's ends only where the VMA there is to change: mprotect_fixup, madvise_update_vma and
    /// userfaultfd_register leave a VMA already as asked alone, and so neither split it nor its THP.
    /// </summary>
    private void SplitVmasToChange(Process p, ulong start, ulong end, VmaChange change)
    {
        foreach (var at in (ReadOnlySpan<ulong>)[start, end])
        {
            if (p.FindVma(at) is { } v && change.Changes(v))
            {
                SplitVmaAt(p, at);
            }
        }
    }

    /// <summary>
    /// vma_merge after a change of flags over [start, end): neighbours with the same flags (VM_SOFTDIRTY aside), the
    /// same userfaultfd, the same backing at contiguous offsets and compatible anon_vmas become one VMA again, so that
    /// a range split and restored is one VMA (a THP may back it) as it was. Separate mmaps never touch here (a
    /// PMD-sized gap lies between them), so only pieces of one mapping meet. hugetlb VMAs are VM_DONTEXPAND
    /// (VM_SPECIAL): never merged. The changed VMA merges into its neighbour: inside the range and at its start the
    /// right one into the left, at its end the left one into the right.
    /// </summary>
    private static void MergeVmas(Process p, ulong start, ulong end)
    {
        for (var i = p.Vmas.Count - 1; i > 0; i--)
        {
            var prev = p.Vmas[i - 1];
            var v = p.Vmas[i];
            var changedIsRight = v.Start < end;
            if (prev.End != v.Start || v.Start < start || v.Start > end || !SameFlags(prev, v, ignoreAccess: false)
                || !AnonVmasMerge(changedIsRight ? v : prev, changedIsRight ? prev : v))
            {
                continue;
            }
            prev.End = v.End;
            prev.SoftDirty |= v.SoftDirty;
            if (prev.AnonVma == 0)
            {
                prev.AnonVma = v.AnonVma;
                prev.AnonVmaForked = v.AnonVmaForked;
            }
            p.Vmas.RemoveAt(i);
        }
    }

    /// <summary>
    /// mprotect_fixup's VM_ACCOUNT: private memory made writable is charged from then on, even once it is read-only
    /// again; from 6.6 a read-only one that never faulted a private page (no anon_vma) is uncharged.
    /// </summary>
    private void Reaccount(Vma v)
    {
        if (v.Shared || v.Hugetlb)
        {
            return;
        }
        if (v.Write)
        {
            v.Account = true;
        }
        else if (Profile.MprotectUnaccountsUnfaulted && v.AnonVma == 0)
        {
            v.Account = false;
        }
    }

    /// <summary>
    /// Flags and backing alike for a merge (is_mergeable_vma), or, with <paramref name="ignoreAccess"/>, for sharing an
    /// anon_vma (anon_vma_compatible, which also ignores VM_READ and VM_WRITE). VM_SOFTDIRTY never counts.
    /// </summary>
    private static bool SameFlags(Vma a, Vma b, bool ignoreAccess) =>
        !a.Hugetlb && !b.Hugetlb && (ignoreAccess || (a.Read == b.Read && a.Write == b.Write)) && a.Shared == b.Shared
        && a.MayWrite == b.MayWrite && a.DontCopy == b.DontCopy && a.HugePage == b.HugePage && a.NoHugePage == b.NoHugePage
        && a.Uffd == b.Uffd && a.Account == b.Account
        && a.Shm == b.Shm && (a.Shm is null || a.ShmOffset + (long)(a.End - a.Start) == b.ShmOffset);

    /// <summary>
    /// is_mergeable_anon_vma(changed's, target's, target): the same anon_vma, or one of them none while the target's
    /// chain holds only its own (list_is_singular; a target with none has an empty chain). Until 6.16 (879bca0a2c4f)
    /// a VMA with an anon_vma never merged into one without.
    /// </summary>
    private static bool AnonVmasMerge(Vma changed, Vma target) =>
        changed.AnonVma == target.AnonVma || (target.AnonVma != 0 && !target.AnonVmaForked && changed.AnonVma == 0);

    /// <summary>
    /// Zaps [start, end) of every table of <paramref name="p"/>: unmaps pages and swap entries, splitting THP PMDs that
    /// are only partly covered. A PTE table it empties is kept (Linux frees tables with their VMAs), unless <paramref name="reclaim"/> (MADV_DONTNEED under PT_RECLAIM) and the zap covered the table's
    /// whole 2M inside one VMA: zap_pte_range then frees the empty table.
    /// </summary>
    private void ZapRange(Process p, ulong start, ulong end, bool reclaim = false, bool keepMarkers = false)
    {
        foreach (var table in p.Tables)
        {
            var tStart = table.Index << Geometry.PmdShift;
            var tEnd = tStart + (ulong)Geometry.PmdSize;
            if (tEnd <= start || tStart >= end)
            {
                continue;
            }
            if (table.Huge is not null)
            {
                if (start <= tStart && tEnd <= end)
                {
                    var f = table.Huge;
                    table.Huge = null;
                    // __unmap_hugepage_range leaves a marker where the entry was protected, unless it drops markers.
                    table.HugeFlags = keepMarkers ? table.HugeFlags & PteFlags.UffdWp : PteFlags.None;
                    Coverage.Hit(CovPoint.Unmap, f, 0, true);
                    RemovePmdMap(f);
                    continue;
                }
                SplitPmd(p, table);
            }
            else if (!keepMarkers && start <= tStart && tEnd <= end)
            {
                // A hugetlb marker lives in the huge entry's flags.
                table.HugeFlags = PteFlags.None;
            }
            var zapped = table.Kept;
            var used = table.UsedWithin(start, end);
            for (var u = 0; u < used.Length; u++)
            {
                var i = used[u];
                var a = tStart + ((ulong)i << Geometry.PageShift);
                if (a < start || a >= end)
                {
                    continue;
                }
                if (table.IsKnownNone(i))
                {
                    // Already zapped: nothing to do for the run.
                    u += table.KnownNoneRunEnd(i) - i - 1;
                    continue;
                }
                if (table.IsTemplate(i))
                {
                    // A split table's template entries are consecutive indexes: zap the run in range at once.
                    var stop = end - tStart >= Geometry.PmdSize ? Geometry.PmdNr : (int)((end - tStart + Geometry.PageSize - 1) >> Geometry.PageShift);
                    var runEnd = table.TemplateRunEnd(i, stop);
                    if (ZapTemplateRun(table, i, runEnd - i))
                    {
                        zapped = true;
                        u += runEnd - i - 1;
                        continue;
                    }
                }
                ref var pte = ref table.At(i);
                zapped |= !pte.IsNone;
                var marker = keepMarkers && (pte.Flags & PteFlags.UffdWp) != 0;
                ZapEntry(ref pte);
                if (marker)
                {
                    // zap_install_uffd_wp_if_needed: MADV_DONTNEED keeps a file page's protection in a marker.
                    pte.Flags = PteFlags.UffdWp;
                }
            }
            if (zapped)
            {
                KeepOrReclaim(p, table, start, end, reclaim);
            }
        }
        FinishGather(p, start >> Geometry.PageShift, (end >> Geometry.PageShift) - 1);
    }

    /// <summary>After a zap of a PTE table that Linux has allocated: free it (PT_RECLAIM) or keep it, maybe empty.</summary>
    private void KeepOrReclaim(Process p, PteTable table, ulong start, ulong end, bool reclaim)
    {
        var tStart = table.Index << Geometry.PmdShift;
        var tEnd = tStart + (ulong)Geometry.PmdSize;
        // madvise zaps VMA by VMA, and reclaim_pt_is_enabled wants a zap of the table's whole range.
        if (reclaim && start <= tStart && tEnd <= end && p.FindVma(tStart) is { } vma && vma.End >= tEnd && !table.HasPtes)
        {
            table.Reset(table.Index);
            if (Tracing)
            {
                Note($"zap_pte_range: P{p.Id} 0x{tStart:x} PTE table empty: freed (PT_RECLAIM)");
            }
            return;
        }
        table.Kept = true;
    }

    private void ZapEntry(ref Pte pte)
    {
        if (pte.Present && pte.Folio is { } f)
        {
            Coverage.Hit(CovPoint.Unmap, f, pte.Sub);
            RemoveMap(f, pte.Sub);
        }
        else if (pte.IsSwap)
        {
            var slot = Swap[pte.SwapSlot];
            // free_swap_and_cache: the last swap entry gone, a swapcache page nothing maps leaves the swapcache.
            if (--slot.Count == 0 && slot.Cached is { } cached && cached.TotalMapcount() == 0)
            {
                DeleteFromSwapCache(cached);
            }
        }
        pte = default;
    }

    /// <summary>
    /// <see cref="ZapEntry"/> for each template entry of [first, first + count), with the same counts and coverage;
    /// false (nothing done) when one of them would warn (a count going negative), which the caller then zaps one by one.
    /// </summary>
    private bool ZapTemplateRun(PteTable table, int first, int count)
    {
        var template = table.Peek(first);
        if (template.Present && template.Folio is { } f)
        {
            if (f.Zero)
            {
                Coverage.HitRun(CovPoint.Unmap, f, first, count, f.RefCount, 0);
            }
            else
            {
                if (f.RefCount < count || !EveryPteMapped(f, first, count))
                {
                    return false;
                }
                Coverage.HitRun(CovPoint.Unmap, f, first, count, f.RefCount, -1);
                f.AddPteMaps(first, count, -1);
                Put(f, count);
            }
        }
        table.ClearTemplate(first, first + count);
        return true;
    }

    /// <summary>
    /// Every subpage of [first, first + count) has a PTE mapping to lose, so that no mapcount goes negative; their counts
    /// may differ (part of the folio mapped elsewhere too), which the run's coverage tells apart as the per-entry zap would.
    /// </summary>
    private static bool EveryPteMapped(Folio f, int first, int count)
    {
        if (f.SamePteMapcount(first, count) is { } same)
        {
            return same >= 1;
        }
        for (var sub = first; sub < first + count; sub++)
        {
            if (f.PteMapcount(sub) < 1)
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>
    /// tlb_finish_mmu (zap and, before 5.12, clear_refs): flushes the pages the walk changed, or every page of the mm
    /// when another batched PTE change (a split mprotect, uffd_wp or clear_refs) still awaits its own flush. That is
    /// mm_tlb_flush_nested: the walk may have skipped entries the other thread already changed, whose stale TLB
    /// entries only a full flush is sure to drop (mm/mmu_gather.c since 5.2).
    /// </summary>
    private void FinishGather(Process p, ulong firstPage, ulong lastPage)
    {
        if (!FlushIfNested(p, own: 0))
        {
            FlushTlb(p, firstPage, lastPage);
        }
    }

    /// <summary>
    /// tlb_finish_mmu's nested case: when more flushes are pending than the <paramref name="own"/> one the caller
    /// counted, flush the whole mm. Returns whether it did.
    /// </summary>
    private bool FlushIfNested(Process p, int own)
    {
        if (p.TlbFlushPending <= own)
        {
            return false;
        }
        Coverage.Hit(CovPoint.NestedFlush, p.TlbFlushPending - own);
        if (Tracing)
        {
            Note($"tlb_finish_mmu: P{p.Id} has another flush pending ({p.TlbFlushPending - own}): the whole mm is flushed");
        }
        FlushTlbAll(p);
        return true;
    }

    internal Status Munmap(SimThread t, ulong addr, long len)
    {
        var p = t.Process;
        if (!CheckRangeArgs(addr, len, out var end))
        {
            return Status.Failed;
        }
        if (LockBusy(p, true))
        {
            return BlockOnLock(t, p);
        }
        if (SplitsHugetlbOffGrid(p, addr, end))
        {
            return Fail("EINVAL: hugetlb ranges must be 2M-aligned");
        }
        SplitVmas(p, addr, end);
        ZapRange(p, addr, end);
        for (var i = p.Vmas.Count - 1; i >= 0; i--)
        {
            if (p.Vmas[i].Start >= addr && p.Vmas[i].End <= end)
            {
                p.Vmas.RemoveAt(i);
            }
        }
        if (Tracing)
        {
            Note($"munmap: P{p.Id} [0x{addr:x}, 0x{end:x})");
        }
        return Status.Done;
    }

    /// <summary>
    /// Whether [addr, end) would split a hugetlb VMA off the 2M grid, which hugetlb_vm_op_split refuses: only an end
    /// that falls inside such a VMA must be aligned.
    /// </summary>
    private static bool SplitsHugetlbOffGrid(Process p, ulong addr, ulong end)
    {
        foreach (var v in p.Vmas)
        {
            if (v.Hugetlb && ((v.Start < addr && addr < v.End && !Geometry.PmdAligned(addr)) || (v.Start < end && end < v.End && !Geometry.PmdAligned(end))))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>An empty range at an aligned start, which mprotect and madvise accept as nothing to do (munmap does not).</summary>
    private static bool EmptyAlignedRange(ulong addr, long len) => len == 0 && Geometry.PageAligned(addr);

    /// <summary>The arguments' own checks, before any VMA is looked at: a page-aligned start and a length in bounds.</summary>
    private bool CheckRangeArgs(ulong addr, long len, out ulong end)
    {
        end = 0;
        if (!Geometry.PageAligned(addr) || len <= 0 || len > MaxMapping)
        {
            _reason = !Geometry.PageAligned(addr) ? FailReason.NotPageAligned(addr) : FailReason.BadLength(len);
            return false;
        }
        end = addr + (ulong)((len + Geometry.PageSize - 1) & ~(Geometry.PageSize - 1));
        return true;
    }

    /// <summary>can_change_pte_writable() (6.0+): may change_protection map this private PTE writable at once?</summary>
    private bool CanChangeWritable(Vma vma, Folio f, int sub, PteFlags flags)
    {
        if (Profile.MprotectWritable == MprotectWritableRule.Never || !vma.Write || (flags & PteFlags.UffdWp) != 0)
        {
            return false;
        }
        if (!vma.SoftDirty && (flags & PteFlags.SoftDirty) == 0)
        {
            return false;
        }
        if (Profile.MprotectWritable == MprotectWritableRule.ExclusiveDirty && (flags & PteFlags.Dirty) == 0)
        {
            return false;
        }
        return f.Anon && f.Exclusive[sub];
    }

    /// <summary>
    /// The write bit change_protection gives a PTE, or a PMD when <paramref name="pmd"/> (pte_modify with vm_page_prot,
    /// then the 6.0 upgrade).
    /// </summary>
    private bool ProtWrite(Vma vma, Folio f, int sub, PteFlags flags, int uffd, bool pmd = false)
    {
        // Before 6.3, uffd-wp unprotect rebuilt the PTE from vm_get_page_prot(vm_flags): read-only for a private
        // mapping, with no upgrade, and writable for a shared one, write-notify or not.
        var unprotectByFlags = uffd == 2 && !Profile.UffdUnprotectPageProt;
        if (!vma.Shared)
        {
            // A private mapping's vm_page_prot is read-only: writes are granted by faults only. The 6.0 upgrade is
            // change_pte_range's; change_huge_pmd's came with 6.2's; hugetlb_change_protection has none, so hugetlb
            // stays read-only.
            return !unprotectByFlags && !f.Hugetlb && (!pmd || Profile.MprotectWritable == MprotectWritableRule.Exclusive)
                && CanChangeWritable(vma, f, sub, flags);
        }
        // Before 6.2 a registered VMA had no write-notify, so mprotect took the write bit from vm_page_prot beside the
        // uffd-wp bit.
        if (!vma.Write || ((flags & PteFlags.UffdWp) != 0 && (uffd != 0 || Profile.UffdWpWritenotify)))
        {
            return false;
        }
        // vm_page_prot is writable unless soft-dirty is tracked (VM_SOFTDIRTY clear: write-notify); hugetlb has no
        // soft-dirty tracking. A tracked shmem PTE is never upgraded: mprotect_fixup asks vma_wants_writenotify with
        // the old vm_page_prot, which fails its pgprot_modify test, so neither MM_CP_DIRTY_ACCT (before 6.0) nor
        // MM_CP_TRY_CHANGE_WRITABLE is set for it (Peter Xu, 76aefad628aa: "Functionally it was still correct").
        return vma.SoftDirty || f.Hugetlb || unprotectByFlags;
    }

    /// <summary>
    /// change_protection over [start, end) of one VMA. <paramref name="uffd"/>: 0 mprotect, 1 uffd-wp on, 2 off.
    /// Removing write permission leaves TLB entries stale with <paramref name="cause"/> until the caller flushes, after
    /// later lines when <paramref name="window"/>'s op is split.
    /// </summary>
    private int ChangeProtection(Process p, Vma vma, ulong start, ulong end, int uffd, Decision cause, SimThread? window)
    {
        var changed = 0;
        if (uffd != 0 && TakesMarkers(vma))
        {
            MarkEmptyEntries(p, vma, start, end, uffd == 1);
        }
        foreach (var table in p.Tables)
        {
            var tStart = table.Index << Geometry.PmdShift;
            var tEnd = tStart + (ulong)Geometry.PmdSize;
            if (tEnd <= start || tStart >= end)
            {
                continue;
            }
            if (table.Huge is not null)
            {
                if ((start > tStart || tEnd > end) && !table.Huge.Hugetlb)
                {
                    SplitPmd(p, table);
                }
                else
                {
                    var flags = UffdBits(table.HugeFlags, uffd);
                    var write = ProtWrite(vma, table.Huge, 0, flags, uffd, pmd: true);
                    var flushNow = table.Huge.Hugetlb || !Profile.PmdFlushDeferred;
                    changed += Apply(p, ref flags, write, tStart >> Geometry.PageShift, (tEnd - 1) >> Geometry.PageShift, cause, table.Huge, flushNow ? null : window);
                    table.HugeFlags = flags;
                    if (flushNow)
                    {
                        FlushPmd(p, tStart);
                    }
                    if (write)
                    {
                        table.HugeGrant = vma.Shared ? Decision.MprotectWritableShared : Decision.MprotectWritable;
                    }
                    continue;
                }
            }
            foreach (var i in table.UsedWithin(start, end))
            {
                var a = tStart + ((ulong)i << Geometry.PageShift);
                if (a < start || a >= end)
                {
                    continue;
                }
                // A template entry that would keep its value stays the template rather than being written on its own:
                // a later fork, zap or reset then takes the split table's untouched entries as runs.
                if (table.IsTemplate(i) && Keeps(table.Peek(i)))
                {
                    continue;
                }
                ref var pte = ref table.At(i);
                if (pte.IsSwap)
                {
                    pte.Flags = UffdBits(pte.Flags, uffd);
                    continue;
                }
                if (!pte.Present)
                {
                    // Empty, or a marker that MarkEmptyEntries has already dealt with.
                    continue;
                }
                var folio = pte.Folio!;
                var (flags, write) = Target(pte);
                var wasWritable = pte.Writable;
                changed += Apply(p, ref flags, write, a >> Geometry.PageShift, a >> Geometry.PageShift, cause, folio, window);
                pte.Flags = flags;
                if (write && !wasWritable)
                {
                    // A shared page is writable by vm_page_prot, not by the exclusive-anon upgrade: name which.
                    pte.Grant = vma.Shared ? Decision.MprotectWritableShared : Decision.MprotectWritable;
                    Coverage.Hit(CovPoint.MprotectWritable, folio, pte.Sub);
                    if (Tracing)
                    {
                        // Later writes take no fault here, so nothing else in the trace would show this PTE's grant.
                        Note($"change_protection: P{p.Id} 0x{a:x} pfn {folio.Pfn}{SubText(folio, pte.Sub)} made writable at once (soft-dirty {((flags & PteFlags.SoftDirty) != 0 ? 1 : 0)})");
                    }
                }
            }
        }
        return changed;

        // Whether the walk leaves entry e as it is: the same flags, so nothing to flush or grant.
        bool Keeps(Pte e) => !e.Present || Target(e) is var (flags, write) && WithWrite(flags, write) == e.Flags;

        // What the walk gives present entry e: its uffd-wp bit as asked, and whether it is to be writable.
        (PteFlags Flags, bool Write) Target(in Pte e)
        {
            var flags = UffdBits(e.Flags, uffd);
            return (flags, !e.Folio!.Zero && ProtWrite(vma, e.Folio, e.Sub, flags, uffd));
        }
    }

    private static PteFlags WithWrite(PteFlags flags, bool write) => write ? flags | PteFlags.Write : flags & ~PteFlags.Write;

    private static PteFlags UffdBits(PteFlags flags, int uffd) => uffd switch
    {
        1 => flags | PteFlags.UffdWp,
        2 => flags & ~PteFlags.UffdWp,
        _ => flags,
    };

    /// <summary>
    /// Sets or clears one entry's write permission. Taking it away leaves other CPUs' entries stale with
    /// <paramref name="cause"/> until the caller flushes. <paramref name="window"/>: the thread whose split op defers
    /// that flush past later lines (null: none does); it waits in the op, so only other CPUs can write through their
    /// stale entries meanwhile.
    /// </summary>
    private int Apply(Process p, ref PteFlags flags, bool write, ulong firstPage, ulong lastPage, Decision cause, Folio folio, SimThread? window)
    {
        var was = (flags & PteFlags.Write) != 0;
        flags = WithWrite(flags, write);
        if (was && !write)
        {
            Coverage.Hit(CovPoint.MprotectWp, (int)cause);
            var racers = MarkStale(p, firstPage, lastPage, cause, window, out var any);
            if (any)
            {
                Coverage.HitStaleLeft(cause, racers, folio, window is not null, uffdWp: (flags & PteFlags.UffdWp) != 0);
            }
            return 1;
        }
        return 0;
    }

    internal Status Mprotect(SimThread t, ulong addr, long len, Flag prot, AsyncOp? split)
    {
        var p = t.Process;
        // do_mprotect_pkey: an empty range does nothing and succeeds, once the start is aligned.
        if (EmptyAlignedRange(addr, len))
        {
            return Status.Done;
        }
        if (!CheckRangeArgs(addr, len, out var end))
        {
            return Status.Failed;
        }
        if (LockBusy(p, true))
        {
            return BlockOnLock(t, p);
        }
        var change = VmaChange.Protection(prot);
        // do_mprotect_pkey changes VMA after VMA and stops at the first hole (ENOMEM) or failed split (EINVAL): what
        // it changed before stays changed.
        var error = WalkVmas(p, addr, end, change, stopAtHole: true);
        var stop = _walk.Count == 0 ? addr : _walk[^1].End;
        var changed = 0;
        if (stop > addr)
        {
            SplitVmasToChange(p, addr, stop, change);
            foreach (var v in p.Vmas)
            {
                if (v.Start < addr || v.End > stop || !change.Changes(v))
                {
                    continue;
                }
                v.SetProt(prot);
                Reaccount(v);
                changed += ChangeProtection(p, v, v.Start, v.End, 0, Decision.MprotectFlushPending, split is not null && error is null ? t : null);
            }
            MergeVmas(p, addr, stop);
        }
        if (Tracing)
        {
            Note($"mprotect: P{p.Id} [0x{addr:x}, 0x{stop:x}) {(prot == Flag.Rw ? "rw" : prot == Flag.R ? "r" : "none")}: {changed} entries lost write permission{(error is null ? "" : $"; then {error.Value.Text()}")}");
        }
        if (split is not null && error is null)
        {
            split.Kind = AsyncKind.Mprotect;
            split.Addr = addr;
            split.Len = (long)(end - addr);
            split.Pending = true;
            split.Lock = 2;
            p.LockWriter = split.Id;
            p.TlbFlushPending++;
            return Status.Pending;
        }
        if (stop > addr)
        {
            FlushTlb(p, addr >> Geometry.PageShift, (stop >> Geometry.PageShift) - 1);
        }
        return error is null ? Status.Done : Fail(error.Value);
    }

    /// <summary>
    /// The pieces of [addr, end) that mprotect or madvise visits, one per VMA, into <see cref="_walk"/>, and the
    /// error the call returns after applying them (null: none). A hole is ENOMEM: mprotect stops there
    /// (<paramref name="stopAtHole"/>), madvise goes on to the next VMA and reports it at the end. A hugetlb VMA to be
    /// changed (<paramref name="change"/>) that would split off the 2M grid is EINVAL (hugetlb_vm_op_split), and the
    /// walk stops before it.
    /// </summary>
    private FailReason? WalkVmas(Process p, ulong addr, ulong end, VmaChange change, bool stopAtHole)
    {
        _walk.Clear();
        var a = addr;
        FailReason? hole = null;
        foreach (var v in p.Vmas)
        {
            if (v.End <= a)
            {
                continue;
            }
            if (v.Start >= end)
            {
                break;
            }
            if (v.Start > a)
            {
                hole ??= FailReason.NotMapped(a);
                if (stopAtHole)
                {
                    return hole;
                }
            }
            var piece = (Start: Math.Max(a, v.Start), End: Math.Min(v.End, end));
            if (v.Hugetlb && change.Changes(v) && (!Geometry.PmdAligned(piece.Start) || (piece.End < v.End && !Geometry.PmdAligned(piece.End))))
            {
                return FailReason.Of("EINVAL: hugetlb ranges must be 2M-aligned");
            }
            _walk.Add(piece);
            a = v.End;
        }
        return a < end ? hole ?? FailReason.NotMapped(a) : hole;
    }

    /// <summary>
    /// Finishes a split mprotect, uffd_wp or clear_refs: the TLB flush (when <paramref name="flush"/>), then the lock.
    /// Each counted itself as a pending flush when it split.
    /// </summary>
    internal void FinishFlush(AsyncOp op, bool flush)
    {
        var p = op.Target;
        op.Pending = false;
        p.TlbFlushPending--;
        if (flush)
        {
            FlushTlb(p, op.Addr >> Geometry.PageShift, op.Len == long.MaxValue ? ulong.MaxValue : ((op.Addr + (ulong)op.Len) >> Geometry.PageShift) - 1);
        }
        if (op.Lock == 2)
        {
            p.LockWriter = 0;
        }
        else if (op.Lock == 1)
        {
            p.LockReaders--;
        }
        op.Lock = 0;
        ReleaseLockWaiters(p);
        ReleaseMmRef(op);
    }

    internal Status Madvise(SimThread t, ulong addr, long len, Flag advice)
    {
        var p = t.Process;
        Discarded.Clear();
        ShmemUnmapped.Clear();
        if (advice is not (Flag.DontFork or Flag.DoFork or Flag.HugePage or Flag.NoHugePage or Flag.DontNeed or Flag.PageOut))
        {
            return Fail($"EINVAL: advice {advice}");
        }
        // madvise: an empty range does nothing and succeeds, once the start is aligned.
        if (EmptyAlignedRange(addr, len))
        {
            return Status.Done;
        }
        if (!CheckRangeArgs(addr, len, out var end))
        {
            return Status.Failed;
        }
        if (LockBusy(p, advice is Flag.DontFork or Flag.DoFork or Flag.HugePage or Flag.NoHugePage))
        {
            return BlockOnLock(t, p);
        }
        // madvise_walk_vmas advises every VMA in the range, skipping holes, and returns ENOMEM for a hole after all;
        // an error from one VMA's advice stops it there.
        var error = WalkVmas(p, addr, end, advice is Flag.DontNeed or Flag.PageOut ? VmaChange.None : VmaChange.Advice(advice), stopAtHole: false);
        foreach (var (start, stop) in _walk)
        {
            var pieceError = advice switch
            {
                Flag.DontNeed => DontNeed(p, start, stop),
                Flag.PageOut => PageOut(p, start, stop),
                _ => SetVmaFlags(p, start, stop, advice),
            };
            if (pieceError is not null)
            {
                error = FailReason.Of(pieceError);
                break;
            }
        }
        if (advice is not (Flag.DontNeed or Flag.PageOut))
        {
            MergeVmas(p, addr, end);
        }
        if (Tracing)
        {
            Note($"madvise: P{p.Id} [0x{addr:x}, 0x{end:x}) {FlagWords.Spell(advice)}{(error is null ? "" : $": {error.Value.Text()}")}");
        }
        return error is null ? Status.Done : Fail(error.Value);
    }

    /// <summary>
    /// The private ranges the last madvise(dontneed) discarded, VMA by VMA (a hugetlb one to whole huge pages):
    /// reads there give zeroes again, even when the call failed later in its range.
    /// </summary>
    internal List<(ulong Start, ulong End)> Discarded { get; } = [];

    /// <summary>The shmem pages the last madvise(pageout) unmapped: their PTEs, soft-dirty bit included, are gone.</summary>
    internal List<ulong> ShmemUnmapped { get; } = [];

    private string? SetVmaFlags(Process p, ulong start, ulong end, Flag advice)
    {
        SplitVmasToChange(p, start, end, VmaChange.Advice(advice));
        var v = p.FindVma(start)!;
        switch (advice)
        {
            case Flag.DontFork: v.DontCopy = true; break;
            case Flag.DoFork: v.DontCopy = false; break;
            case Flag.HugePage: v.HugePage = true; v.NoHugePage = false; break;
            default: v.NoHugePage = true; v.HugePage = false; break;
        }
        return null;
    }

    /// <summary>
    /// madvise_dontneed_free on one VMA's piece. A hugetlb VMA is refused before 5.18 (can_madv_lru_vma); from 5.18
    /// its start must be huge-page aligned and its end is rounded to whole huge pages, up in 5.18 and down from 6.1.
    /// </summary>
    private string? DontNeed(Process p, ulong start, ulong end)
    {
        if (p.FindVma(start) is { Hugetlb: true })
        {
            if (!Profile.HugetlbDontneed)
            {
                return "EINVAL: madvise(dontneed) of a hugetlb mapping (hugetlb_dontneed=false)";
            }
            if (!Geometry.PmdAligned(start))
            {
                return "EINVAL: hugetlb ranges must be 2M-aligned";
            }
            var mask = (ulong)Geometry.PmdSize - 1;
            end = Profile.HugetlbDontneedAlignDown ? end & ~mask : (end + mask) & ~mask;
            if (end == start)
            {
                return null;
            }
        }
        ZapRange(p, start, end, reclaim: Profile.PtReclaim, keepMarkers: p.FindVma(start) is { } vma && TakesMarkers(vma));
        Discarded.Add((start, end));
        return null;
    }

    /// <summary>madvise_pageout on one VMA's piece; hugetlb pages are not on the LRU (can_madv_lru_vma: EINVAL).</summary>
    private string? PageOut(Process p, ulong start, ulong end)
    {
        if (p.FindVma(start) is { Hugetlb: true })
        {
            return "EINVAL: madvise(pageout) of a hugetlb mapping";
        }
        foreach (var table in p.Tables)
        {
            var tStart = table.Index << Geometry.PmdShift;
            if (tStart + (ulong)Geometry.PmdSize <= start || tStart >= end)
            {
                continue;
            }
            if (table.Huge is not null)
            {
                PageOutPmd(p, table, start, end);
                continue;
            }
            PageOutPtes(p, table, start, end);
        }
        // madvise_pageout gathers in an mmu_gather too: its tlb_finish_mmu flushes the whole mm when another flush is
        // pending (a split mprotect, uffd_wp or pre-5.12 clear_refs), whatever it paged out.
        FlushIfNested(p, own: 0);
        return null;
    }
}
