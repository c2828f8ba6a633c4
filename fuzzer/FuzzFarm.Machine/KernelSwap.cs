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
        }
        f.SwapCache = false;
        f.SwapSlot = -1;
        Put(f);
        if (Tracing)
        {
            Note($"pfn {f.Pfn} deleted from the swapcache (ref {f.RefCount})");
        }
    }

    /// <summary>Swaps one PTE-mapped base page out (MADV_PAGEOUT): only pages this mapping maps alone.</summary>
    private void PageOut(Process p, PteTable table, int idx, ulong addr)
    {
        ref var pte = ref table.At(idx);
        var f = pte.Folio;
        if (f is null || !pte.Present || f.Zero || !f.Anon || f.Large)
        {
            return;
        }
        if (f.Mapcount(0) != 1)
        {
            Coverage.Hit(CovPoint.SwapOutSkipShared, f);
            return;
        }
        if ((Profile.PinnedNotSwapcached || Profile.AnonExclusive) && f.MaybeDmaPinned)
        {
            Coverage.Hit(CovPoint.SwapOutSkipPinned, f);
            if (Tracing)
            {
                Note($"pageout: pfn {f.Pfn} maybe pinned (ref {f.RefCount}): not swapped");
            }
            return;
        }
        Coverage.Hit(CovPoint.SwapOut, f);
        if (!f.SwapCache)
        {
            var slot = _swapSlots.Rent();
            slot.Cached = f;
            slot.Content = null;
            slot.Count = 0;
            Swap.Add(slot);
            f.SwapSlot = Swap.Count - 1;
            f.SwapCache = true;
            Get(f);
        }
        var s = Swap[f.SwapSlot];
        var exclusive = Profile.AnonExclusive && f.Exclusive[0];
        f.Exclusive[0] = false;
        var flags = pte.Flags & (PteFlags.SoftDirty | PteFlags.UffdWp);
        pte.Folio = null;
        pte.Flags = flags | (exclusive ? PteFlags.SwapExclusive : 0);
        pte.SwapSlot = f.SwapSlot;
        pte.Grant = Decision.None;
        s.Count++;
        RemoveMap(f, 0);
        var page = addr >> Geometry.PageShift;
        FlushTlb(p, page, page);
        if (f.RefCount == 1)
        {
            // Only the swapcache holds it: write it out and free the page.
            s.Content = f.Words[0];
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
        pte.Grant = Decision.SwapMapReadOnly;
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
                pte.Flags |= PteFlags.Write | PteFlags.Dirty | PteFlags.SoftDirty;
                pte.Grant = reuse;
                if (Tracing)
                {
                    Note($"{DecisionText.Of(reuse)}: pfn {f.Pfn} mapped writable ({Counts(f, 0)})");
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
