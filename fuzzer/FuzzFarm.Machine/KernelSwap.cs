namespace FuzzFarm.Machine;

/// <summary>Swap-out (MADV_PAGEOUT) and swap-in through the swapcache (do_swap_page).</summary>
internal sealed partial class Kernel
{
    private readonly Pool<SwapSlot> _swapSlots = new(() => new SwapSlot());

    internal void DeleteFromSwapCache(Folio f)
    {
        var slot = Swap[f.SwapSlot];
        slot.Cached = null;
        if (slot.Count > 0)
        {
            // Other swap PTEs still refer to the slot: keep the contents for them.
            slot.Content = f.Words[0];
            slot.SourcePfn = f.Pfn;
        }
        f.SwapCache = false;
        f.SwapSlot = -1;
        Put(f);
        if (Tracing)
        {
            Note($"pfn {f.Pfn} deleted from the swapcache (ref {f.RefCount})");
        }
    }

    /// <summary>
    /// MADV_PAGEOUT of the PTEs of one table in [addr, end) (madvise_cold_or_pageout_pte_range). A THP mapped alone
    /// is swapped out whole, or split first when the range covers only part of it (see <see cref="PageOutThp"/>). One
    /// mapped here by a subpage with other mappings, or one that cannot be split, ends the walk of the table until
    /// 6.10 (its `break`s); from 6.10 the walk skips it and goes on (pageout_skips_large_folio).
    /// </summary>
    private void PageOutPtes(Process p, PteTable table, ulong addr, ulong end)
    {
        var tStart = table.Index << Geometry.PmdShift;
        Folio? kept = null;
        foreach (var i in table.UsedWithin(addr, end))
        {
            var a = tStart + ((ulong)i << Geometry.PageShift);
            if (a < addr || a >= end)
            {
                continue;
            }
            var pte = table.Peek(i);
            if (pte.Present && pte.Folio is { Large: true, Anon: true } f)
            {
                if (f.Mapcount(pte.Sub) != 1)
                {
                    Coverage.Hit(CovPoint.SwapOutSkipShared, f, pte.Sub);
                    if (!Profile.PageoutSkipsLargeFolio)
                    {
                        return;
                    }
                    continue;
                }
                // Its other subpages would only fail the same way.
                if (f == kept)
                {
                    continue;
                }
                var outcome = PageOutThp(p, table, f, addr, end);
                if (outcome == ThpPageout.Unsplittable && !Profile.PageoutSkipsLargeFolio)
                {
                    return;
                }
                if (outcome != ThpPageout.Split)
                {
                    kept = outcome is ThpPageout.Kept or ThpPageout.Unsplittable ? f : kept;
                    continue;
                }
                // Split: this entry and the folio's others are base pages now, paged out one by one.
            }
            PageOut(p, table, i, a);
        }
    }

    /// <summary>
    /// MADV_PAGEOUT of a PMD-mapped THP this process maps alone: swapped out whole when the range covers it, else
    /// split and the covered part paged out (madvise_cold_or_pageout_pmd_range: split_folio, then the PTE walk).
    /// </summary>
    private void PageOutPmd(Process p, PteTable table, ulong addr, ulong end)
    {
        var f = table.Huge!;
        // The huge zero page is not anon; madvise refuses hugetlb with EINVAL before this.
        if (!f.Anon)
        {
            return;
        }
        if (f.Mapcount(0) != 1)
        {
            Coverage.Hit(CovPoint.SwapOutSkipShared, f, 0, true);
            return;
        }
        if (PageOutThp(p, table, f, addr, end) == ThpPageout.Split)
        {
            PageOutPtes(p, table, addr, end);
        }
    }

    private enum ThpPageout
    {
        Swapped,
        /// <summary>Split into base pages, still mapped: the caller pages out the ones in the range.</summary>
        Split,
        /// <summary>References beyond its mappings: split_folio fails, and it stays mapped.</summary>
        Unsplittable,
        /// <summary>Left mapped where the kernel would go on (mapped elsewhere too, or in the swapcache): not modelled.</summary>
        Kept,
    }

    /// <summary>
    /// Reclaim of an anonymous THP this table maps and nothing else references (can_split_folio's condition). Covered
    /// by the range, it is swapped out whole (THP_SWAP): added to the swapcache, unmapped (a PMD mapping is split
    /// first, as try_to_unmap does with TTU_SPLIT_HUGE_PMD), every mapped subpage becomes a swap entry of its own slot,
    /// and the folio is freed. Covered in part, it is split into base pages (split_folio). A folio with references
    /// beyond its mappings (a pin, a pipe buffer) stays mapped: reclaim's can_split_folio() fails and it is skipped
    /// ("cannot split folio, skip it", 5.x and 6.x alike), and so does madvise's own split of a partly covered one.
    /// One mapped elsewhere too, or already in the swapcache, also stays, which is not what the kernel does (see the
    /// Machine README). Swap-in brings back base pages (no large-folio swap-in).
    /// </summary>
    private ThpPageout PageOutThp(Process p, PteTable table, Folio f, ulong addr, ulong end)
    {
        var tStart = table.Index << Geometry.PmdShift;
        var mapped = 0;
        var inRange = true;
        if (table.Huge is null)
        {
            foreach (var i in table.Used)
            {
                var pte = table.Peek(i);
                if (pte.Present && pte.Folio == f)
                {
                    mapped++;
                    var a = tStart + ((ulong)i << Geometry.PageShift);
                    inRange &= a >= addr && a < end;
                }
            }
        }
        else
        {
            mapped = 1;
            inRange = tStart >= addr && tStart + (ulong)Geometry.PmdSize <= end;
        }
        var extraRefs = f.PinCount > 0 || f.RefCount != f.TotalMapcount();
        if (extraRefs || f.SwapCache || mapped != f.TotalMapcount())
        {
            Coverage.Hit(CovPoint.SwapOutSkipPinned, f, 0, table.Huge is not null);
            if (Tracing)
            {
                Note(extraRefs
                    ? $"pageout: THP pfn {f.Pfn} (ref {f.RefCount}, total map {f.TotalMapcount()}): references beyond its mappings, cannot split, skipped"
                    : $"pageout: THP pfn {f.Pfn} ({mapped} of {f.TotalMapcount()} mappings here{(f.SwapCache ? ", in swapcache" : "")}): not modelled, skipped");
            }
            return extraRefs ? ThpPageout.Unsplittable : ThpPageout.Kept;
        }
        if (!inRange)
        {
            SplitFolio(p, table, f);
            return ThpPageout.Split;
        }
        if (table.Huge is not null)
        {
            SplitPmd(p, table);
        }
        Coverage.Hit(CovPoint.SwapOutThp, f, 0);
        var slots = 0;
        foreach (var i in table.Used)
        {
            ref var pte = ref table.At(i);
            if (!pte.Present || pte.Folio != f)
            {
                continue;
            }
            int sub = pte.Sub;
            // Written out at once: nothing but these mappings held the folio.
            MakeSwapPte(ref pte, f, sub, NewSwapSlot(null, f.Words[sub], 1, f.Pfn));
            RemoveMap(f, sub);
            slots++;
        }
        FlushTlb(p, tStart >> Geometry.PageShift, (tStart >> Geometry.PageShift) + Geometry.PmdNr - 1);
        if (Tracing)
        {
            Note($"pageout: P{p.Id} THP pfn {f.Pfn} -> {slots} swap slots, folio freed (ref {f.RefCount})");
        }
        return ThpPageout.Swapped;
    }

    /// <summary>A swap slot for a page in the swapcache (<paramref name="cached"/>) or written out (<paramref name="content"/>); its index.</summary>
    private int NewSwapSlot(Folio? cached, PageWords? content, int count, int sourcePfn)
    {
        var slot = _swapSlots.Rent();
        slot.Cached = cached;
        slot.Content = content;
        slot.SourcePfn = sourcePfn;
        slot.Count = count;
        Swap.Add(slot);
        return Swap.Count - 1;
    }

    /// <summary>Turns the PTE of subpage <paramref name="sub"/> into a swap entry: soft-dirty and uffd-wp stay, and PageAnonExclusive moves into the entry (5.19+).</summary>
    private void MakeSwapPte(ref Pte pte, Folio f, int sub, int slot)
    {
        var exclusive = Profile.AnonExclusive && f.Exclusive[sub];
        f.Exclusive[sub] = false;
        pte.Folio = null;
        pte.Flags = (pte.Flags & (PteFlags.SoftDirty | PteFlags.UffdWp)) | (exclusive ? PteFlags.SwapExclusive : 0);
        pte.SwapSlot = slot;
        pte.Grant = pte.MappedBy = Decision.None;
    }

    /// <summary>Swaps one PTE-mapped base page out (MADV_PAGEOUT): only pages this mapping maps alone.</summary>
    private void PageOut(Process p, PteTable table, int idx, ulong addr)
    {
        ref var pte = ref table.At(idx);
        var f = pte.Folio;
        if (f is null || !pte.Present || f.Zero || f.Large || (!f.Anon && f.Hugetlb))
        {
            return;
        }
        if (f.Mapcount(0) != 1)
        {
            Coverage.Hit(CovPoint.SwapOutSkipShared, f);
            return;
        }
        if (!f.Anon)
        {
            UnmapShmem(p, ref pte, f, addr);
            return;
        }
        // 5.11's reclaim only refuses to add a maybe-pinned page to the swapcache (#14): one already there is unmapped
        // as any other. 5.19's try_to_unmap refuses an exclusive one (page_try_share_anon_rmap fails on a pinned page).
        if (f.MaybeDmaPinned && ((Profile.PinnedNotSwapcached && !f.SwapCache) || (Profile.AnonExclusive && f.Exclusive[0])))
        {
            Coverage.Hit(CovPoint.SwapOutSkipPinned, f);
            if (Tracing)
            {
                Note($"pageout: pfn {f.Pfn} maybe pinned (ref {f.RefCount}{(f.SwapCache ? ", in swapcache" : "")}): not swapped");
            }
            return;
        }
        Coverage.Hit(CovPoint.SwapOut, f);
        if (!f.SwapCache)
        {
            f.SwapSlot = NewSwapSlot(f, null, 0, f.Pfn);
            f.SwapCache = true;
            Get(f);
        }
        var s = Swap[f.SwapSlot];
        MakeSwapPte(ref pte, f, 0, f.SwapSlot);
        var exclusive = (pte.Flags & PteFlags.SwapExclusive) != 0;
        s.Count++;
        RemoveMap(f, 0);
        var page = addr >> Geometry.PageShift;
        FlushTlb(p, page, page);
        if (f.RefCount == 1)
        {
            // Only the swapcache holds it: write it out and free the page.
            s.Content = f.Words[0];
            s.SourcePfn = f.Pfn;
            s.Cached = null;
            f.SwapCache = false;
            f.SwapSlot = -1;
            Put(f);
        }
        if (Tracing)
        {
            Note($"pageout: P{p.Id} 0x{addr:x} pfn {f.Pfn} -> swap slot {pte.SwapSlot} (swapcount {s.Count}{(exclusive ? ", exclusive" : "")}){(s.Cached is null ? ", page freed" : $", page stays in swapcache (ref {f.RefCount})")}");
        }
    }

    /// <summary>
    /// Reclaim of a shmem page (try_to_unmap_one, file branch): the PTE is cleared, no swap entry is left, and its
    /// soft-dirty bit goes with it; the page stays the object's (shmem_writepage moves it to swap, and a fault finds it
    /// again). A uffd-wp bit lives on in a PTE marker (pte_install_uffd_wp_if_needed).
    /// </summary>
    private void UnmapShmem(Process p, ref Pte pte, Folio f, ulong addr)
    {
        var marker = pte.Flags & PteFlags.UffdWp;
        Coverage.Hit(CovPoint.SwapOut, f);
        RemoveMap(f, 0);
        pte = default;
        pte.Flags = marker;
        ShmemUnmapped.Add(addr);
        var page = addr >> Geometry.PageShift;
        FlushTlb(p, page, page);
        if (Tracing)
        {
            Note($"pageout: P{p.Id} 0x{addr:x} shmem pfn {f.Pfn} unmapped (PTE cleared, soft-dirty dropped)");
        }
    }

    /// <summary>do_swap_page: bring the page back through the swapcache and decide whether to map it writable.</summary>
    private FaultResult SwapIn(SimThread t, Process p, Vma vma, PteTable table, int idx, ulong addr, FaultKind kind, AsyncOp? split, bool forced)
    {
        ref var pte = ref table.At(idx);
        var slotIndex = pte.SwapSlot;
        var s = Swap[slotIndex];
        var f = s.Cached;
        var fresh = f is null;
        if (f is null)
        {
            f = AllocSmall(Decision.SwapMapReadOnly);
            _lineage.CopiedFrom(f.Pfn, s.SourcePfn, PageKind.Swap, Decision.None, PageKind.Swap);
            f.FromSwap = true;
            f.SetWords(0, s.Content);
            f.SwapCache = true;
            f.SwapSlot = slotIndex;
            f.RefCount = 1;
            s.Cached = f;
        }
        var swpExclusive = (pte.Flags & PteFlags.SwapExclusive) != 0;
        var flags = pte.Flags & (PteFlags.SoftDirty | PteFlags.UffdWp);
        pte.Folio = f;
        pte.Sub = 0;
        pte.Flags = PteFlags.Present | flags;
        pte.Grant = pte.MappedBy = Decision.SwapMapReadOnly;
        pte.SwapSlot = -1;
        AddMap(f, 0);
        s.Count--;
        Coverage.Hit(CovPoint.SwapIn, f);
        if (Tracing)
        {
            Note($"do_swap_page: P{p.Id} 0x{addr & ~0xfffUL:x} swap slot {slotIndex} -> pfn {f.Pfn}{(fresh ? " (read from swap)" : " (found in swapcache)")} ({Counts(f, 0)}, swapcount now {s.Count})");
        }
        var write = kind == FaultKind.Write;
        var exclusive = Profile.AnonExclusive && swpExclusive;
        var reuse = Decision.None;
        if (Profile.SwapinReuse == SwapinRule.Mapcount)
        {
            if (exclusive)
            {
                reuse = Decision.SwapReuseExclusive;
            }
            else if (write && f.Mapcount(0) + s.Count <= 1)
            {
                reuse = Decision.SwapReuseMapcount;
                if (f.SwapCache && s.Count == 0)
                {
                    DeleteFromSwapCache(f);
                }
            }
        }
        else
        {
            if (write && f.SwapCache && s.Count == 0 && f.RefCount == 2)
            {
                DeleteFromSwapCache(f);
            }
            if (exclusive)
            {
                reuse = Decision.SwapReuseExclusive;
            }
            else if (f.RefCount == 1)
            {
                reuse = Decision.SwapReusePageCount;
            }
        }
        if (reuse != Decision.None)
        {
            if (Profile.AnonExclusive)
            {
                f.Exclusive[0] = true;
            }
            // A swap entry carrying the uffd-wp bit is mapped write-protected whatever the rule said
            // (pte_swp_uffd_wp: pte_mkuffd_wp + pte_wrprotect): the write then faults into do_wp_page, which
            // hands it to the uffd handler.
            if (write && (pte.Flags & PteFlags.UffdWp) == 0)
            {
                Coverage.Hit(CovPoint.SwapReuse, f);
                pte.Flags |= WriteBits(vma);
                // The swap-in maps the page writable at once: that is how the page came here.
                pte.Grant = pte.MappedBy = reuse;
                if (Tracing)
                {
                    Note($"{DecisionText.Of(reuse)}: pfn {f.Pfn} mapped writable ({Counts(f, 0)})");
                }
                return FaultResult.Ok;
            }
            // 6.11 maps it writable on a read fault too, clean, unless uffd-wp or soft-dirty tracking (VM_SOFTDIRTY
            // clear and no soft-dirty bit) wants the write fault.
            if (!write && Profile.SwapinMapsWritable && vma.Write && (pte.Flags & PteFlags.UffdWp) == 0
                && (vma.SoftDirty || (pte.Flags & PteFlags.SoftDirty) != 0))
            {
                Coverage.Hit(CovPoint.SwapReuse, f);
                pte.Flags |= PteFlags.Write;
                pte.Grant = pte.MappedBy = reuse;
                if (Tracing)
                {
                    Note($"{DecisionText.Of(reuse)}: pfn {f.Pfn} marked exclusive, mapped writable (clean) on a read fault");
                }
                return FaultResult.Ok;
            }
            if (Tracing && Profile.AnonExclusive)
            {
                // The line above printed the counts before this: a triager must not read the page as shared.
                Note($"{DecisionText.Of(reuse)}: pfn {f.Pfn} marked exclusive, mapped read-only");
            }
        }
        Coverage.Hit(CovPoint.SwapReadOnly, f);
        if (!write)
        {
            return FaultResult.Ok;
        }
        return WpPage(t, p, vma, table, idx, addr, unshare: false, split, forced);
    }
}
