namespace FuzzFarm.Machine;

/// <summary>fork (dup_mmap / copy_page_range), thread creation and exit.</summary>
internal sealed partial class Kernel
{
    /// <summary>
    /// fork from thread <paramref name="t"/>: the child gets the parent's VMAs (not VM_DONTCOPY) and, for COW
    /// mappings, shares its pages write-protected; maybe-pinned pages are copied for the child where the profile
    /// does (5.9+, hugetlb 5.12+). <paramref name="forkTime"/> is the runner's clock (for the oracle).
    /// </summary>
    internal Status Fork(SimThread t, int childSlot, string childName, long forkTime, out SimThread child)
    {
        var parent = t.Process;
        child = null!;
        if (LockBusy(parent, true))
        {
            return BlockOnLock(t, parent);
        }
        var c = NewProcess(parent, forkTime);
        c.NextAddr = parent.NextAddr;
        foreach (var v in parent.Vmas)
        {
            if (v.DontCopy)
            {
                continue;
            }
            var cv = NewVma();
            cv.CopyFrom(v);
            cv.Uffd = -1;
            ForkAnonVma(cv);
            c.Vmas.Add(cv);
        }
        var tableCount = parent.Tables.Count;
        for (var ti = 0; ti < tableCount; ti++)
        {
            CopyTable(parent, c, parent.Tables[ti]);
        }
        FlushTlbAll(parent);
        child = NewThread(c, childSlot, childName);
        if (Tracing)
        {
            Note($"fork: P{parent.Id} -> P{c.Id} ({childName})");
        }
        return Status.Done;
    }

    private void CopyTable(Process parent, Process c, PteTable table)
    {
        var tStart = table.Index << Geometry.PmdShift;
        if (table.Huge is not null)
        {
            var vma = parent.FindVma(tStart);
            if (vma is null || !vma.ForkCopiesTable)
            {
                return;
            }
            var f = table.Huge;
            var needsCow = parent.HasPinned && f.MaybeDmaPinned && (!Profile.AnonExclusive || f.Exclusive[0]);
            if (f.Hugetlb)
            {
                var ct = GetTable(c, tStart);
                if (Profile.ForkCopiesPinnedHugetlb && needsCow)
                {
                    var n = AllocHuge(Decision.ForkCopyPinnedHugetlb, hugetlb: true);
                    for (var i = 0; i < Geometry.PmdNr; i++)
                    {
                        CopyPage(f, i, n, i);
                    }
                    _lineage.CopiedFrom(n.Pfn, f.Pfn, PageKind.Hugetlb, table.HugeMappedBy, PageKind.Hugetlb);
                    n.Exclusive[0] = true;
                    n.CompoundMapcount = 1;
                    n.RefCount = 1;
                    ct.Huge = n;
                    var write = vma.Write || !Profile.ForkHugetlbCopyVmWrite;
                    ct.HugeFlags = (table.HugeFlags & ~PteFlags.UffdWp) | (write ? PteFlags.Write : 0) | PteFlags.Dirty;
                    ct.HugeGrant = ct.HugeMappedBy = Decision.ForkCopyPinnedHugetlb;
                    Coverage.Hit(CovPoint.ForkHugetlbCopy, f, 0, true);
                    if (Tracing)
                    {
                        Note($"copy_hugetlb_page_range: hugetlb pfn {f.Pfn} maybe pinned (pincount {f.PinCount}): child gets copy pfn {n.Pfn}, parent untouched");
                    }
                    return;
                }
                ShareHuge(parent, table, ct, f, vma);
                return;
            }
            if (Profile.ForkCopiesPinned && needsCow)
            {
                Coverage.Hit(CovPoint.ForkSplitPinned, f, 0, true);
                if (Tracing)
                {
                    Note($"copy_huge_pmd: THP pfn {f.Pfn} maybe pinned (pincount {f.PinCount}): split, copy per PTE");
                }
                SplitPmd(parent, table);
            }
            else
            {
                ShareHuge(parent, table, GetTable(c, tStart), f, vma);
                return;
            }
        }
        PteTable? childTable = null;
        Vma? area = null;
        var template = TemplateShare(parent, c, table, tStart, ref childTable);
        if (table.Kept && CopiesTable(parent, tStart))
        {
            // copy_pte_range allocates the child's table even when every entry it copies is none.
            childTable ??= GetTable(c, tStart);
            childTable.Kept = true;
        }
        var used = table.Used;
        for (var u = 0; u < used.Length; u++)
        {
            var i = used[u];
            if (table.IsKnownNone(i))
            {
                // Zapped entries of a split table: nothing to copy, and a child on the template must not have them.
                var none = table.KnownNoneRunEnd(i);
                if (template is not null)
                {
                    childTable!.ClearTemplate(i, none);
                }
                u += none - i - 1;
                continue;
            }
            if (table.IsTemplate(i))
            {
                // Template entries are consecutive indexes of a split table: share or copy the run at once.
                if (template is not null)
                {
                    var end = table.TemplateRunEnd(i, Geometry.PmdNr);
                    ShareTemplateRun(template, i, end - i);
                    u += end - i - 1;
                    continue;
                }
                var copied = CopyPinnedTemplateRun(parent, c, table, i, ref childTable, ref area);
                if (copied > 0)
                {
                    u += copied - 1;
                    continue;
                }
            }
            var pte = table.Peek(i);
            if (pte.IsNone)
            {
                // The child's table starts as the template: an entry the parent does not have must be cleared there.
                if (template is not null)
                {
                    childTable!.At(i) = default;
                }
                continue;
            }
            var a = tStart + ((ulong)i << Geometry.PageShift);
            // Neighbouring PTEs mostly share a VMA: search the list only when the address leaves the last one.
            if (area is null || !area.Contains(a))
            {
                area = parent.FindVma(a);
            }
            if (area is null || !area.ForkCopiesTable)
            {
                if (template is not null)
                {
                    childTable!.At(i) = default;
                }
                continue;
            }
            childTable ??= GetTable(c, tStart);
            ref var cpte = ref childTable.At(i);
            if (pte.IsSwap)
            {
                Swap[pte.SwapSlot].Count++;
                ref var spte = ref table.At(i);
                spte.Flags &= ~PteFlags.SwapExclusive;
                cpte = spte;
                // The child's VMA is never registered (no UFFD_FEATURE_EVENT_FORK here).
                if (Profile.ForkClearsUffdWp)
                {
                    cpte.Flags &= ~PteFlags.UffdWp;
                }
                Coverage.Hit(CovPoint.ForkSwap, Swap[pte.SwapSlot].Count);
                continue;
            }
            var f = pte.Folio!;
            int sub = pte.Sub;
            // The parent's entry is written only where it changes: a split table's untouched entries stay its
            // template, which later walks treat run by run.
            if (f.Zero)
            {
                cpte = pte;
                cpte.Flags &= ChildUffdWpMask(area);
                continue;
            }
            if (Profile.ForkCopiesPinned && f.Anon && parent.HasPinned && f.MaybeDmaPinned && (!Profile.AnonExclusive || f.Exclusive[sub]))
            {
                var n = AllocSmall(Decision.ForkCopyPinned);
                CopyPage(f, sub, n, 0);
                _lineage.CopiedFrom(n.Pfn, f.Pfn, PageKind.Base, pte.MappedBy, f.Kind(pmdMapped: false));
                n.Exclusive[0] = true;
                cpte.Folio = n;
                cpte.Sub = 0;
                cpte.Flags = NewPageFlags(area);
                cpte.Grant = cpte.MappedBy = Decision.ForkCopyPinned;
                AddMap(n, 0);
                Coverage.Hit(CovPoint.ForkCopyPinned, f, sub);
                if (Tracing)
                {
                    Note($"copy_present_page: P{parent.Id} 0x{a:x} pfn {f.Pfn}{SubText(f, sub)} maybe pinned ({Counts(f, sub)}): child gets copy pfn {n.Pfn}, parent PTE untouched");
                }
                continue;
            }
            if (f.Large && template is null && ShareSubpageRun(parent, table, childTable, used, u, area, f) is var run and > 1)
            {
                u += run - 1;
                continue;
            }
            AddMap(f, sub);
            if (f.Anon)
            {
                f.Exclusive[sub] = false;
            }
            ShareEntries(new Span<Pte>(ref table.At(i)), new Span<Pte>(ref cpte), area.IsCow, ChildUffdWpMask(area));
            Coverage.Hit(CovPoint.ForkShare, f, sub);
            if (Tracing && !f.Large)
            {
                Note($"copy_present_pte: P{parent.Id} 0x{a:x} pfn {f.Pfn} shared with P{c.Id}, write-protected ({Counts(f, sub)})");
            }
        }
    }

    /// <summary>
    /// The flags a present entry keeps in the child: the child's VMA is never registered, and from 5.14 fork drops the
    /// uffd-wp bit by it; before, copy_present_pte and copy_huge_pmd asked the parent's VMA (8f34f1eac382, point 1).
    /// </summary>
    private PteFlags ChildUffdWpMask(Vma parentArea) =>
        Profile.ForkClearsUffdWp || !parentArea.UffdWp ? ~PteFlags.UffdWp : ~PteFlags.None;

    /// <summary>Whether copy_page_range walks this table: a VMA whose table fork copies overlaps its 2M.</summary>
    private static bool CopiesTable(Process parent, ulong tStart)
    {
        var tEnd = tStart + (ulong)Geometry.PmdSize;
        foreach (var v in parent.Vmas)
        {
            if (v.Start < tEnd && tStart < v.End && v.ForkCopiesTable)
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>
    /// What the general path of <see cref="CopyTable"/> does for each maybe-pinned PTE it copies for the child, for the
    /// run of template entries from <paramref name="first"/> inside one VMA: same allocations, lineage, counts and
    /// coverage, and the parent's entries stay the template. Returns how many entries it copied (0: the general path
    /// takes entry <paramref name="first"/>).
    /// </summary>
    private int CopyPinnedTemplateRun(Process parent, Process c, PteTable table, int first, ref PteTable? childTable, ref Vma? area)
    {
        var pte = table.Peek(first);
        var f = pte.Folio!;
        if (!(Profile.ForkCopiesPinned && f.Anon && parent.HasPinned && f.MaybeDmaPinned))
        {
            return 0;
        }
        var tStart = table.Index << Geometry.PmdShift;
        var a = tStart + ((ulong)first << Geometry.PageShift);
        if (area is null || !area.Contains(a))
        {
            area = parent.FindVma(a);
        }
        if (area is null || !area.ForkCopiesTable)
        {
            return 0;
        }
        var limit = area.End - tStart >= Geometry.PmdSize ? Geometry.PmdNr : (int)((area.End - tStart) >> Geometry.PageShift);
        var end = table.TemplateRunEnd(first, limit);
        if (Profile.AnonExclusive)
        {
            // Only exclusive subpages are copied (5.19+); the first shared one goes to the general path.
            var shared = f.Exclusive.Slice(first, end - first).IndexOf(false);
            end = shared < 0 ? end : first + shared;
        }
        if (end == first)
        {
            return 0;
        }
        childTable ??= GetTable(c, tStart);
        var flags = NewPageFlags(area);
        var count = end - first;
        CopySubpagesToBase(f, first, count, childTable, flags, Decision.ForkCopyPinned, pte.MappedBy, f.Kind(pmdMapped: false));
        for (var i = first; Tracing && i < end; i++)
        {
            Note($"copy_present_page: P{parent.Id} 0x{tStart + ((ulong)i << Geometry.PageShift):x} pfn {f.Pfn}{SubText(f, i)} maybe pinned ({Counts(f, i)}): child gets copy pfn {childTable.Peek(i).Folio!.Pfn}, parent PTE untouched");
        }
        Coverage.HitRun(CovPoint.ForkCopyPinned, f, first, count, f.RefCount, 0);
        return count;
    }

    /// <summary>
    /// What the general path of <see cref="CopyTable"/> does for each shared PTE, for the run of entries from
    /// <c>used[u]</c> that map consecutive subpages of the large folio <paramref name="f"/> inside <paramref name="area"/>
    /// (a PTE-mapped THP is hundreds of them per fork): each entry is written as there, and the counts and coverage are
    /// taken for the run at once, in the same order. Returns the run's length; 1 means the general path goes on with
    /// <c>used[u]</c>, whose child entry it has already taken.
    /// </summary>
    private int ShareSubpageRun(Process parent, PteTable table, PteTable child, ReadOnlySpan<short> used, int u, Vma area, Folio f)
    {
        // A maybe-pinned anon folio may be copied entry by entry (by each subpage's exclusivity): not here.
        if (Profile.ForkCopiesPinned && f.Anon && parent.HasPinned && f.MaybeDmaPinned)
        {
            return 1;
        }
        var first = used[u];
        var tStart = table.Index << Geometry.PmdShift;
        var limit = area.End - tStart >= Geometry.PmdSize ? Geometry.PmdNr : (int)((area.End - tStart) >> Geometry.PageShift);
        var count = 1;
        while (u + count < used.Length && used[u + count] == first + count && first + count < limit && !table.IsKnownNone(first + count)
            && table.MapsOwnSubpage(first + count, f))
        {
            count++;
        }
        if (count == 1)
        {
            return 1;
        }
        // The VMA's answers are taken once for the run.
        ShareEntries(table.AtRun(first, count), child.AtRun(first, count), area.IsCow, ChildUffdWpMask(area));
        ShareTemplateRun(f, first, count);
        return count;
    }

    /// <summary>
    /// copy_present_pte sharing pages: the parent's entries lose write in a COW mapping (<paramref name="cow"/>, the
    /// VMA's <see cref="Vma.IsCow"/>); the child's are copies, without uffd-wp (<paramref name="childMask"/>,
    /// <see cref="ChildUffdWpMask"/>). A run is copied in one move: copied entry by entry, each folio reference
    /// passed the collector's write barrier on its own.
    /// </summary>
    private static void ShareEntries(Span<Pte> parentPtes, Span<Pte> childPtes, bool cow, PteFlags childMask)
    {
        if (cow)
        {
            foreach (ref var pte in parentPtes)
            {
                pte.Flags &= ~PteFlags.Write;
            }
        }
        parentPtes.CopyTo(childPtes);
        foreach (ref var pte in childPtes)
        {
            pte.Flags &= childMask;
            pte.Grant = pte.MappedBy = Decision.ForkShare;
        }
    }

    /// <summary>
    /// What the general path of <see cref="CopyTable"/> does for each shared PTE, for a run of template entries (whose
    /// child entries the child's template already holds), in the same order of counts and coverage.
    /// </summary>
    private void ShareTemplateRun(Folio f, int first, int count)
    {
        var refStart = f.RefCount + 1;
        f.AddPteMaps(first, count, 1);
        f.RefCount += count;
        if (f.Anon)
        {
            f.Exclusive.Slice(first, count).Clear();
        }
        Coverage.HitRun(CovPoint.ForkShare, f, first, count, refStart, 1);
    }

    /// <summary>
    /// A split PMD's untouched entries all map their own subpage of one folio with the same flags. When one VMA
    /// holds all of them and nothing about the folio calls for a copy, the child's table becomes the same
    /// template (write-protected, without uffd-wp) instead of 512 entries written into each table; the caller still
    /// counts each subpage's mapping. Returns the folio, or null when the general path must handle every entry.
    /// </summary>
    private Folio? TemplateShare(Process parent, Process c, PteTable table, ulong tStart, ref PteTable? childTable)
    {
        var f = table.TemplateFolio;
        if (f is null || f.Zero || (Profile.ForkCopiesPinned && f.Anon && parent.HasPinned && f.MaybeDmaPinned))
        {
            return null;
        }
        // One VMA holds every template entry (VMAs do not overlap, so holding the first and last is enough): the child's
        // template then shares them all alike, and write-protecting the parent's touches no other mapping.
        if (!table.TemplateSpan(out var first, out var last))
        {
            return null;
        }
        var vma = parent.FindVma(tStart + ((ulong)first << Geometry.PageShift));
        if (vma is null || !vma.Contains(tStart + ((ulong)last << Geometry.PageShift)) || !vma.ForkCopiesTable)
        {
            return null;
        }
        if (vma.IsCow)
        {
            table.WriteProtectTemplate();
        }
        childTable = GetTable(c, tStart);
        childTable.MapAll(f, table.TemplateFlags & ChildUffdWpMask(vma), Decision.ForkShare, Decision.ForkShare);
        return f;
    }

    private void ShareHuge(Process parent, PteTable table, PteTable ct, Folio f, Vma vma)
    {
        if (f.Zero)
        {
            // copy_huge_pmd: the child gets a fresh huge zero PMD (vm_page_prot: read-only, no uffd-wp).
            ct.Huge = f;
            ct.HugeFlags = PteFlags.Present;
            ct.HugeGrant = ct.HugeMappedBy = Decision.HugeZeroMap;
            return;
        }
        AddPmdMap(f);
        f.Exclusive[0] = false;
        if (vma.IsCow)
        {
            table.HugeFlags &= ~PteFlags.Write;
        }
        ct.Huge = f;
        ct.HugeFlags = table.HugeFlags & ChildUffdWpMask(vma);
        ct.HugeGrant = ct.HugeMappedBy = f.Hugetlb ? Decision.ForkShareHugetlb : Decision.ForkShareHuge;
        Coverage.Hit(CovPoint.ForkShare, f, 0, true);
        if (Tracing)
        {
            Note($"fork: P{parent.Id} {(f.Hugetlb ? "hugetlb" : "THP")} pfn {f.Pfn} shared with the child, write-protected (ref {f.RefCount}, compound map {f.CompoundMapcount})");
        }
    }

    internal Status NewThreadIn(SimThread t, int slot, string name, out SimThread thread)
    {
        thread = NewThread(t.Process, slot, name);
        return Status.Done;
    }

    /// <summary>
    /// exit: every thread of the process ends (a blocked remote op of one of them gives back its mm reference); the
    /// mappings are torn down now, or at the last mmput of another process's op still holding the mm (pins and pipes
    /// keep their pages either way).
    /// </summary>
    /// <summary>exit_group's SIGKILL: the caller then finishes the split ops the threads are inside, then <see cref="Exit"/>.</summary>
    internal void Kill(Process p) => p.Killed = true;

    internal Status Exit(SimThread t)
    {
        var p = t.Process;
        Coverage.Hit(CovPoint.Exit, p.Threads.Count);
        foreach (var th in p.Threads)
        {
            th.State = RunState.Exited;
            th.Tlb.Clear();
            if (th.BlockedMmRef is { } held)
            {
                th.BlockedMmRef = null;
                PutMm(held);
            }
        }
        p.Exited = true;
        if (Tracing)
        {
            Note($"exit: P{p.Id}{(p.MmUsers > 0 ? $": {p.MmUsers} remote reference(s) keep its mm until they end" : "")}");
        }
        for (var u = 0; u < Uffds.Count; u++)
        {
            if (Uffds[u].Process == p)
            {
                ReleaseUffd(u);
            }
        }
        if (p.MmUsers == 0)
        {
            TearDown(p);
        }
        return Status.Done;
    }

    /// <summary>
    /// userfaultfd_release when the handler's process exits (exit_files; the fd is its own): the VMAs lose the
    /// registration, and every thread waiting on the userfaultfd wakes, its fault retried without it.
    /// </summary>
    private void ReleaseUffd(int uffd)
    {
        foreach (var v in Uffds[uffd].Process.Vmas)
        {
            if (v.Uffd == uffd)
            {
                v.Uffd = -1;
            }
        }
        if (Tracing)
        {
            Note($"userfaultfd_release: P{Uffds[uffd].Process.Id}'s userfaultfd {uffd}: its waiters wake");
        }
        WakeUffdWaiters(uffd, 0, ulong.MaxValue);
    }

    /// <summary>
    /// get_task_mm or mm_access for a remote op of <paramref name="t"/>: false (ESRCH) once the process has exited. A
    /// retry after blocking keeps the reference its first attempt took.
    /// </summary>
    private bool GetMm(SimThread t, Process p)
    {
        if (t.BlockedMmRef == p)
        {
            t.BlockedMmRef = null;
            return true;
        }
        if (p.Exited)
        {
            return false;
        }
        p.MmUsers++;
        return true;
    }

    /// <summary>mmput: the last reference of an exited process's mm tears it down (exit_mmap).</summary>
    private void PutMm(Process p)
    {
        if (--p.MmUsers == 0 && p.Exited && !p.MmGone)
        {
            if (Tracing)
            {
                Note($"mmput: P{p.Id}'s last reference: its mm is torn down");
            }
            TearDown(p);
        }
    }

    /// <summary>A split remote op ends its syscall: the mm reference it held goes (mmput).</summary>
    private void ReleaseMmRef(AsyncOp op)
    {
        if (op.MmRef is { } held)
        {
            op.MmRef = null;
            PutMm(held);
        }
    }

    private void TearDown(Process p)
    {
        ZapRange(p, 0, ulong.MaxValue);
        p.Vmas.Clear();
        p.MmGone = true;
    }
}
