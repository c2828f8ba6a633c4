namespace FuzzFarm.Machine;

/// <summary>/proc/pid/clear_refs ("4": clear soft-dirty) and /proc/pid/pagemap's soft-dirty bit.</summary>
internal sealed partial class Kernel
{
    /// <summary>
    /// clear_refs of <paramref name="target"/>'s process from thread <paramref name="t"/>: write-protect and clear
    /// soft-dirty on every PTE and THP PMD (not hugetlb), skipping writable maybe-pinned PTEs from 5.11. The TLB is
    /// flushed at the end from 5.12; before, the flush is elided (#0) unless another flush is pending (nested). With
    /// <paramref name="split"/>, it stops after the walk and before the flush, holding the mmap lock (write from 5.11,
    /// read before).
    /// </summary>
    internal Status ClearRefs(SimThread t, SimThread target, AsyncOp? split)
    {
        var p = target.Process;
        if (!GetMm(t, p))
        {
            return Fail("ESRCH: process exited");
        }
        var writeLock = Profile.ClearRefsWriteLock;
        // Before 5.11 (#13) the walk holds the read lock, but clearing VM_SOFTDIRTY, which every VMA has from its
        // mmap until a clear_refs, first takes the write lock and then downgrades: that waits for readers too.
        var upgrade = !writeLock && AnyVmaSoftDirty(p);
        if (LockBusy(p, writeLock || upgrade))
        {
            t.BlockedMmRef = p;
            return BlockOnLock(t, p);
        }
        var cause = Profile.ClearRefsFlush ? Decision.ClearRefsFlushPending : Decision.ClearRefsNoFlush;
        // A split clear_refs waits in its op until the flush: other lines race the entries it leaves stale.
        var window = split is null ? null : t;
        var wp = 0;
        var skipped = 0;
        foreach (var v in p.Vmas)
        {
            v.SoftDirty = false;
        }
        Vma? vma = null;
        foreach (var table in p.Tables)
        {
            var tStart = table.Index << Geometry.PmdShift;
            if (table.Huge is not null)
            {
                if (table.Huge.Hugetlb)
                {
                    continue;
                }
                Coverage.Hit(CovPoint.ClearRefsPmd, table.Huge, 0, true);
                var flags = table.HugeFlags & ~PteFlags.SoftDirty;
                wp += Apply(p, ref flags, false, tStart >> Geometry.PageShift, (tStart >> Geometry.PageShift) + Geometry.PmdNr - 1, cause, table.Huge, window: null);
                table.HugeFlags = flags;
                FlushPmd(p, tStart);
                continue;
            }
            // Template entries all sit in one VMA with one folio and flags: one treatment, applied run by run.
            var template = TemplateVma(p, table, tStart);
            var templateSkips = template is not null && SkipsPinned(p, template, table.TemplateFlags, table.TemplateFolio!);
            var used = table.Used;
            for (var u = 0; u < used.Length; u++)
            {
                var i = used[u];
                if (template is not null && table.IsTemplate(i))
                {
                    var end = table.TemplateRunEnd(i, Geometry.PmdNr);
                    ClearRefsTemplateRun(p, table, tStart, i, end - i, templateSkips, cause, window, ref wp, ref skipped);
                    u += end - i - 1;
                    continue;
                }
                if (table.IsKnownNone(i))
                {
                    u += table.KnownNoneRunEnd(i) - i - 1;
                    continue;
                }
                ref var pte = ref table.At(i);
                if (pte.IsSwap)
                {
                    pte.Flags &= ~PteFlags.SoftDirty;
                    continue;
                }
                if (!pte.Present)
                {
                    continue;
                }
                var a = tStart + ((ulong)i << Geometry.PageShift);
                var f = pte.Folio!;
                // Neighbouring PTEs mostly share a VMA: search the list only when the address leaves the last one.
                if (vma is null || !vma.Contains(a))
                {
                    vma = p.FindVma(a);
                }
                if (SkipsPinned(p, vma, pte.Flags, f))
                {
                    Coverage.Hit(CovPoint.ClearRefsSkipPinned, f, pte.Sub);
                    skipped++;
                    continue;
                }
                Coverage.Hit(CovPoint.ClearRefsWp, f, pte.Sub);
                var flags = pte.Flags & ~PteFlags.SoftDirty;
                wp += Apply(p, ref flags, false, a >> Geometry.PageShift, a >> Geometry.PageShift, cause, f, window);
                pte.Flags = flags;
            }
            if (template is not null && !templateSkips)
            {
                table.SetTemplateFlags(table.TemplateFlags & ~(PteFlags.SoftDirty | PteFlags.Write));
            }
        }
        if (Tracing)
        {
            Note($"clear_refs: P{p.Id} soft-dirty cleared, {wp} PTEs write-protected{(skipped > 0 ? $", {skipped} maybe-pinned PTEs skipped" : "")}; mmap lock {(writeLock ? "write" : upgrade ? "read (write to clear VM_SOFTDIRTY)" : "read")}; {(Profile.ClearRefsFlush ? "TLB flush at the end" : "no TLB flush")}");
        }
        if (split is not null)
        {
            split.Kind = AsyncKind.ClearRefs;
            split.Target = p;
            split.Addr = 0;
            split.Len = long.MaxValue;
            split.Pending = true;
            split.MmRef = p;
            split.Lock = writeLock ? 2 : 1;
            if (writeLock)
            {
                p.LockWriter = split.Id;
            }
            else
            {
                p.LockReaders++;
            }
            // tlb_gather_mmu before 5.12, inc_tlb_flush_pending from 5.12: either way the walk counts as pending.
            p.TlbFlushPending++;
            return Status.Pending;
        }
        if (Profile.ClearRefsFlush)
        {
            Coverage.Hit(CovPoint.ClearRefsFlush, wp);
            FlushTlbAll(p);
        }
        else if (!FlushIfNested(p, own: 0))
        {
            // No flush of its own (#0), and no other pending one for tlb_finish_mmu to see: the entries stay.
            Coverage.Hit(CovPoint.ClearRefsNoFlush, wp);
        }
        PutMm(p);
        return Status.Done;
    }

    private static bool AnyVmaSoftDirty(Process p)
    {
        foreach (var v in p.Vmas)
        {
            if (v.SoftDirty)
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>clear_refs leaves a writable maybe-pinned page of a COW mapping alone (5.11+ profiles).</summary>
    private bool SkipsPinned(Process p, Vma? vma, PteFlags flags, Folio f) =>
        Profile.ClearRefsSkipsPinned && (flags & PteFlags.Write) != 0 && vma is { IsCow: true } && p.HasPinned && f.MaybeDmaPinned;

    /// <summary>
    /// What the per-entry walk does to each template entry of [first, first + count), counts and coverage included;
    /// the caller sets the template's flags once the table is walked.
    /// </summary>
    private void ClearRefsTemplateRun(Process p, PteTable table, ulong tStart, int first, int count, bool skips, Decision cause, SimThread? window, ref int wp, ref int skipped)
    {
        var f = table.TemplateFolio!;
        if (skips)
        {
            Coverage.HitRun(CovPoint.ClearRefsSkipPinned, f, first, count, f.RefCount, 0);
            skipped += count;
            return;
        }
        Coverage.HitRun(CovPoint.ClearRefsWp, f, first, count, f.RefCount, 0);
        var flags = table.TemplateFlags & ~PteFlags.SoftDirty;
        var page = (tStart >> Geometry.PageShift) + (ulong)first;
        wp += Apply(p, ref flags, false, page, page + (ulong)count - 1, cause, f, window) * count;
    }

    /// <summary>
    /// The end of a split clear_refs. Before 5.12 it flushes only when another batched change is pending beside its
    /// own count (mm_tlb_flush_nested in tlb_finish_mmu); its range is the whole mm either way.
    /// </summary>
    internal void FinishClearRefs(AsyncOp op)
    {
        if (!Profile.ClearRefsFlush)
        {
            FlushIfNested(op.Target, own: 1);
        }
        FinishFlush(op, Profile.ClearRefsFlush);
    }

    /// <summary>pagemap's soft-dirty bit for <paramref name="addr"/> in the calling process.</summary>
    internal Status Pagemap(SimThread t, ulong addr, out bool softDirty)
    {
        var p = t.Process;
        softDirty = false;
        if (LockBusy(p, false))
        {
            // pagemap_read takes the mmap lock for read: it waits for a clear_refs holding it for write.
            return BlockOnLock(t, p);
        }
        var vma = p.FindVma(addr);
        if (vma is null)
        {
            Coverage.Hit(CovPoint.Pagemap, 0);
            return Status.Done;
        }
        var table = p.Table(addr);
        var flags = table is null ? PteFlags.None : table.Huge is not null ? table.HugeFlags : table.Peek(PteIndex(addr)).Flags;
        softDirty = vma.SoftDirty || (flags & PteFlags.SoftDirty) != 0;
        Coverage.Hit(CovPoint.Pagemap, softDirty ? 2 : 1);
        if (Tracing)
        {
            Note($"pagemap: P{p.Id} 0x{addr & ~0xfffUL:x} soft-dirty {(softDirty ? 1 : 0)} (PTE bit {((flags & PteFlags.SoftDirty) != 0 ? 1 : 0)}, VM_SOFTDIRTY {(vma.SoftDirty ? 1 : 0)})");
        }
        return Status.Done;
    }
}
