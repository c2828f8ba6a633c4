namespace FuzzFarm.Machine;

/// <summary>
/// A physical page or compound folio (THP, hugetlb: 512 subpages) with the counts the COW rules read.
/// Refcount and pincount are per folio (the head page); mapcount is per subpage (PTE mappings) plus a compound
/// mapcount (PMD mappings). Contents are per subpage, null meaning all zero.
/// </summary>
internal sealed class Folio
{
    public Folio(int nr)
    {
        Nr = nr;
        SubMapcount = new int[nr];
        Exclusive = new bool[nr];
        Words = new PageWords?[nr];
    }

    public int Nr { get; }

    /// <summary>Allocation order within the execution; printed as the page frame number.</summary>
    public int Pfn;
    public int RefCount;
    public int CompoundMapcount;
    public readonly int[] SubMapcount;
    /// <summary>PageAnonExclusive per subpage; for a PMD-mapped folio only [0] (the head) is meaningful.</summary>
    public readonly bool[] Exclusive;
    /// <summary>Compound pincount (large folios only; small pages count pins in RefCount).</summary>
    public int PinCount;
    public bool Anon;
    public bool Hugetlb;
    public bool Zero;
    public bool SwapCache;
    public bool FromSwap;
    public bool Freed;
    public int SwapSlot = -1;
    /// <summary>The decision that allocated this folio.</summary>
    public Decision Origin;
    public readonly PageWords?[] Words;

    public bool Large => Nr > 1;

    public void Reset(int pfn, Decision origin)
    {
        Pfn = pfn;
        RefCount = 0;
        CompoundMapcount = 0;
        Array.Clear(SubMapcount);
        Array.Clear(Exclusive);
        PinCount = 0;
        Anon = Hugetlb = Zero = SwapCache = FromSwap = Freed = false;
        SwapSlot = -1;
        Origin = origin;
        Array.Clear(Words);
    }

    /// <summary>page_mapcount() of a subpage: its PTE mappings plus the PMD mappings of the folio.</summary>
    public int Mapcount(int sub) => SubMapcount[sub] + CompoundMapcount;

    /// <summary>total_mapcount(): every mapping of every subpage.</summary>
    public int TotalMapcount()
    {
        var total = CompoundMapcount;
        foreach (var m in SubMapcount)
        {
            total += m;
        }
        return total;
    }

    /// <summary>page_trans_huge_mapcount(): the largest subpage mapcount plus the compound mapcount.</summary>
    public int MaxMapcount()
    {
        var max = 0;
        foreach (var m in SubMapcount)
        {
            max = Math.Max(max, m);
        }
        return max + CompoundMapcount;
    }

    /// <summary>page_maybe_dma_pinned(): compound pincount for large folios, the refcount bias otherwise.</summary>
    public bool MaybeDmaPinned => Large ? PinCount > 0 : RefCount >= Geometry.PinBias;

    public PageKind Kind(bool pmdMapped) =>
        Zero ? PageKind.Zero : Hugetlb ? PageKind.Hugetlb : Large ? (pmdMapped ? PageKind.Thp : PageKind.PteThp)
        : !Anon ? PageKind.Shmem : FromSwap ? PageKind.Swap : PageKind.Base;

    public override string ToString() => $"pfn {Pfn}";
}
