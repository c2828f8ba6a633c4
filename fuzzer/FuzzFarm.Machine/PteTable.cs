namespace FuzzFarm.Machine;

/// <summary>
/// The 512 PTEs under one PMD, or a PMD mapping a whole folio (THP, hugetlb). Tracks which entries were touched so
/// that reset costs only what an execution used.
/// </summary>
internal sealed class PteTable
{
    private readonly Pte[] _ptes = new Pte[Geometry.PmdNr];
    private readonly short[] _used = new short[Geometry.PmdNr];
    private readonly bool[] _isUsed = new bool[Geometry.PmdNr];
    private int _usedCount;
    private static readonly short[] AllIndexes = [.. Enumerable.Range(0, Geometry.PmdNr).Select(i => (short)i)];

    /// <summary>Index of the PMD: virtual address >> 21.</summary>
    public ulong Index;

    /// <summary>Non-null when the PMD maps a folio directly (huge PMD or hugetlb).</summary>
    public Folio? Huge;
    public PteFlags HugeFlags;
    public Decision HugeGrant;

    public void Reset(ulong index)
    {
        Index = index;
        Huge = null;
        HugeFlags = PteFlags.None;
        HugeGrant = Decision.None;
        if (_usedCount == Geometry.PmdNr)
        {
            Array.Clear(_ptes);
            Array.Clear(_isUsed);
        }
        else
        {
            for (var i = 0; i < _usedCount; i++)
            {
                _ptes[_used[i]] = default;
                _isUsed[_used[i]] = false;
            }
        }
        _usedCount = 0;
    }

    /// <summary>Points all 512 PTEs at the subpages of <paramref name="folio"/> (a PMD split), in one pass.</summary>
    public void MapAll(Folio folio, PteFlags flags, Decision grant)
    {
        for (var i = 0; i < Geometry.PmdNr; i++)
        {
            ref var pte = ref _ptes[i];
            pte.Folio = folio;
            pte.Sub = (short)i;
            pte.Flags = flags;
            pte.Grant = grant;
        }
        AllIndexes.CopyTo(_used, 0);
        Array.Fill(_isUsed, true);
        _usedCount = Geometry.PmdNr;
    }

    public ref Pte At(int i)
    {
        if (!_isUsed[i])
        {
            _isUsed[i] = true;
            _used[_usedCount++] = (short)i;
        }
        return ref _ptes[i];
    }

    /// <summary>Reads an entry without marking it used.</summary>
    public Pte Peek(int i) => _ptes[i];

    /// <summary>Indexes of entries that may be non-none, in first-use order.</summary>
    public ReadOnlySpan<short> Used => _used.AsSpan(0, _usedCount);

    public bool HasPtes
    {
        get
        {
            for (var i = 0; i < _usedCount; i++)
            {
                if (!_ptes[_used[i]].IsNone)
                {
                    return true;
                }
            }
            return false;
        }
    }
}
