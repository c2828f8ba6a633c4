using System.Numerics;
using System.Runtime.InteropServices;

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
        if (nr > 1)
        {
            _subMapcount = new int[nr];
            _exclusive = new bool[nr];
            _words = new PageWords?[nr];
        }
    }

    public int Nr { get; }

    /// <summary>Allocation order within the execution; printed as the page frame number.</summary>
    public int Pfn;
    public int RefCount;
    public int CompoundMapcount;
    // A small page keeps its one subpage's state in fields, a large folio in arrays: small pages are most folios, rented
    // hundreds at a time (fork's copy of a pinned THP), and three one-element arrays tripled the memory each touched.
    /// <summary>PTE mappings per subpage, less <see cref="_allMapped"/> (large folios; <see cref="_mapcount0"/> else).</summary>
    private readonly int[] _subMapcount = [];
    private int _mapcount0;
    /// <summary>PTE mappings every subpage has at once (PMD splits): one count, not 512 increments.</summary>
    private int _allMapped;
    private bool _mapcountsTouched;
    private readonly bool[] _exclusive = [];
    private bool _exclusive0;
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
    private readonly PageWords?[] _words = [];
    private PageWords? _words0;
    /// <summary>The subpages [from, to) that may hold words (large folios): a THP written in a few pages clears only those.</summary>
    private int _wordsFrom, _wordsTo;
    /// <summary>The memset call that last noted a landing on this folio, and the landing's index in its list.</summary>
    public long LandingCall;
    public int LandingIndex;

    /// <summary>Contents per subpage (null: all zero).</summary>
    public ReadOnlySpan<PageWords?> Words => Nr == 1 ? MemoryMarshal.CreateReadOnlySpan(ref _words0, 1) : _words;

    /// <summary>PageAnonExclusive per subpage; for a PMD-mapped folio only [0] (the head) is meaningful.</summary>
    public Span<bool> Exclusive => Nr == 1 ? MemoryMarshal.CreateSpan(ref _exclusive0, 1) : _exclusive;

    private Span<int> SubMapcounts => Nr == 1 ? MemoryMarshal.CreateSpan(ref _mapcount0, 1) : _subMapcount;

    public bool Large => Nr > 1;

    public void Reset(int pfn, Decision origin)
    {
        Pfn = pfn;
        RefCount = 0;
        CompoundMapcount = 0;
        _allMapped = 0;
        PinCount = 0;
        Anon = Hugetlb = Zero = SwapCache = FromSwap = Freed = false;
        SwapSlot = -1;
        Origin = origin;
        if (Nr == 1)
        {
            _mapcount0 = 0;
            _exclusive0 = false;
            _words0 = null;
            return;
        }
        // Most large folios never had their per-subpage arrays written: a THP is 512 entries each.
        if (_mapcountsTouched)
        {
            Array.Clear(_subMapcount);
            _mapcountsTouched = false;
        }
        Array.Clear(_exclusive);
        if (_wordsTo > _wordsFrom)
        {
            Array.Clear(_words, _wordsFrom, _wordsTo - _wordsFrom);
            _wordsFrom = _wordsTo = 0;
        }
    }

    /// <summary>
    /// A small page made a new exclusive anon page holding <paramref name="words"/> (a copy's; null for a fresh page),
    /// with the one PTE mapping and reference that map it: what Reset, Anon, SetWords, Exclusive and AddPteMap do, at
    /// once (fork copies hundreds in a row, and MAP_POPULATE faults them in).
    /// </summary>
    public void ResetMappedAnon(int pfn, Decision origin, PageWords? words)
    {
        Pfn = pfn;
        RefCount = 1;
        CompoundMapcount = 0;
        _allMapped = 0;
        PinCount = 0;
        Hugetlb = Zero = SwapCache = FromSwap = Freed = false;
        Anon = true;
        SwapSlot = -1;
        Origin = origin;
        _mapcount0 = 1;
        _exclusive0 = true;
        // Most copies are of untouched (all-zero) subpages: a constant null is stored without a GC write barrier.
        if (words is null)
        {
            _words0 = null;
        }
        else
        {
            _words0 = words;
        }
    }

    public void SetWords(int sub, PageWords? words)
    {
        if (Nr == 1)
        {
            _words0 = words;
            return;
        }
        _words[sub] = words;
        if (_wordsTo == _wordsFrom)
        {
            (_wordsFrom, _wordsTo) = (sub, sub + 1);
        }
        else
        {
            _wordsFrom = Math.Min(_wordsFrom, sub);
            _wordsTo = Math.Max(_wordsTo, sub + 1);
        }
    }

    /// <summary>The PTE mappings of one subpage (page_mapcount without the PMD mappings).</summary>
    public int PteMapcount(int sub) => SubMapcounts[sub] + _allMapped;

    public void AddPteMap(int sub, int delta)
    {
        if (Nr == 1)
        {
            _mapcount0 += delta;
            return;
        }
        _subMapcount[sub] += delta;
        _mapcountsTouched = true;
    }

    /// <summary>Subpages [first, first + count) each gain <paramref name="delta"/> PTE mappings.</summary>
    public void AddPteMaps(int first, int count, int delta)
    {
        // A vector at a time: fork and zap add to a split PMD's hundreds of subpages at once.
        var counts = SubMapcounts.Slice(first, count);
        var step = new Vector<int>(delta);
        var k = 0;
        for (; k + Vector<int>.Count <= counts.Length; k += Vector<int>.Count)
        {
            var chunk = counts.Slice(k, Vector<int>.Count);
            (new Vector<int>(chunk) + step).CopyTo(chunk);
        }
        for (; k < counts.Length; k++)
        {
            counts[k] += delta;
        }
        _mapcountsTouched = true;
    }

    /// <summary>
    /// The PTE mapcount shared by subpages [first, first + count), or null when they differ. Used to record one
    /// coverage feature per run of subpages instead of one per subpage.
    /// </summary>
    public int? SamePteMapcount(int first, int count)
    {
        var span = SubMapcounts.Slice(first, count);
        return span.IndexOfAnyExcept(span[0]) < 0 ? span[0] + _allMapped : null;
    }

    /// <summary>Every subpage gains one PTE mapping (a PMD split).</summary>
    public void AddPteMapAll() => _allMapped++;

    /// <summary>page_mapcount() of a subpage: its PTE mappings plus the PMD mappings of the folio.</summary>
    public int Mapcount(int sub) => PteMapcount(sub) + CompoundMapcount;

    /// <summary>total_mapcount(): every mapping of every subpage.</summary>
    public int TotalMapcount()
    {
        var total = CompoundMapcount + _allMapped * Nr;
        foreach (var m in SubMapcounts)
        {
            total += m;
        }
        return total;
    }

    /// <summary>page_trans_huge_mapcount(): the largest subpage mapcount plus the compound mapcount.</summary>
    public int MaxMapcount()
    {
        var max = int.MinValue;
        foreach (var m in SubMapcounts)
        {
            max = Math.Max(max, m);
        }
        return Math.Max(0, max + _allMapped) + CompoundMapcount;
    }

    /// <summary>page_maybe_dma_pinned(): compound pincount for large folios, the refcount bias otherwise.</summary>
    public bool MaybeDmaPinned => Large ? PinCount > 0 : RefCount >= Geometry.PinBias;

    public PageKind Kind(bool pmdMapped) =>
        Zero ? PageKind.Zero : Hugetlb ? PageKind.Hugetlb : Large ? (pmdMapped ? PageKind.Thp : PageKind.PteThp)
        : !Anon ? PageKind.Shmem : FromSwap ? PageKind.Swap : PageKind.Base;

    public override string ToString() => $"pfn {Pfn}";
}
