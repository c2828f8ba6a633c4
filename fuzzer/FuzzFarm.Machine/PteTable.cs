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

    // A split PMD is 512 entries that differ only in their subpage. They are written on first touch: most splits are
    // followed by a fault on one page, and filling 512 entries (a write barrier each) cost a fifth of a replay.
    private Folio? _split;
    private PteFlags _splitFlags;
    private Decision _splitGrant;
    private Decision _splitMappedBy;
    /// <summary>While split: which entries hold their own value (the rest are the split's template).</summary>
    private readonly ulong[] _written = new ulong[Geometry.PmdNr / 64];
    /// <summary>
    /// While split: written entries known to be none, because a zap cleared them off the template and nothing has
    /// asked for them since (<see cref="At"/> forgets the bit, as its caller may write). Walkers skip these runs.
    /// </summary>
    private readonly ulong[] _none = new ulong[Geometry.PmdNr / 64];

    /// <summary>Index of the PMD: virtual address >> 21.</summary>
    public ulong Index;

    /// <summary>Non-null when the PMD maps a folio directly (huge PMD or hugetlb).</summary>
    public Folio? Huge;
    public PteFlags HugeFlags;
    public Decision HugeGrant;
    /// <summary>The decision that made the PMD map <see cref="Huge"/> (see <see cref="Pte.MappedBy"/>).</summary>
    public Decision HugeMappedBy;

    /// <summary>
    /// The PMD points at this table even when every entry is none: a zap emptied it, and Linux frees page tables with
    /// their VMAs (or, with PT_RECLAIM, when MADV_DONTNEED empties a whole one), not when their last entry goes.
    /// </summary>
    public bool Kept;

    /// <summary>Linux's PMD points at a PTE table here (not none), so a fault maps base pages, never a THP.</summary>
    public bool Allocated => Kept || HasPtes;

    public void Reset(ulong index)
    {
        Index = index;
        Kept = false;
        Huge = null;
        HugeFlags = PteFlags.None;
        HugeGrant = Decision.None;
        HugeMappedBy = Decision.None;
        if (_split is not null)
        {
            ClearWritten();
            _split = null;
        }
        else if (_usedCount == Geometry.PmdNr)
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

    /// <summary>Points all 512 PTEs at the subpages of <paramref name="folio"/> (a PMD split).</summary>
    public void MapAll(Folio folio, PteFlags flags, Decision grant, Decision mappedBy)
    {
        // The table under a huge PMD holds no PTEs; forget any it held before, so every entry is the template.
        Reset(Index);
        _split = folio;
        _splitFlags = flags;
        _splitGrant = grant;
        _splitMappedBy = mappedBy;
        _usedCount = Geometry.PmdNr;
    }

    public ref Pte At(int i)
    {
        if (_split is not null)
        {
            ref var bits = ref _written[i >> 6];
            var bit = 1UL << (i & 63);
            if ((bits & bit) == 0)
            {
                bits |= bit;
                _ptes[i] = Template(i);
            }
            else
            {
                _none[i >> 6] &= ~bit;
            }
        }
        else if (!_isUsed[i])
        {
            _isUsed[i] = true;
            _used[_usedCount++] = (short)i;
        }
        return ref _ptes[i];
    }

    /// <summary>
    /// <see cref="At"/> for each entry of [<paramref name="first"/>, <paramref name="first"/> + <paramref name="count"/>)
    /// in order, as one span: fork writes hundreds of consecutive entries, and a call per entry was most of it.
    /// </summary>
    public Span<Pte> AtRun(int first, int count)
    {
        if (_split is not null)
        {
            WriteRun(first, first + count);
        }
        else if (!_isUsed.AsSpan(first, count).Contains(true))
        {
            // None used yet (a new table, as a fork child's): they are appended in order, as one by one.
            _isUsed.AsSpan(first, count).Fill(true);
            AllIndexes.AsSpan(first, count).CopyTo(_used.AsSpan(_usedCount));
            _usedCount += count;
        }
        else
        {
            for (var i = first; i < first + count; i++)
            {
                if (!_isUsed[i])
                {
                    _isUsed[i] = true;
                    _used[_usedCount++] = (short)i;
                }
            }
        }
        return _ptes.AsSpan(first, count);
    }

    /// <summary>
    /// <see cref="At"/>'s bookkeeping for entries [<paramref name="first"/>, <paramref name="end"/>) of a split table,
    /// a word of entries at a time: template entries get their own value, and none of them stays known none (only
    /// written entries are ever known none).
    /// </summary>
    private void WriteRun(int first, int end)
    {
        for (var i = first; i < end;)
        {
            var w = i >> 6;
            var stop = Math.Min(end, (w + 1) << 6);
            var mask = WordBits(i, stop);
            var fresh = mask & ~_written[w];
            _written[w] |= mask;
            _none[w] &= ~mask;
            while (fresh != 0)
            {
                var k = (w << 6) + System.Numerics.BitOperations.TrailingZeroCount(fresh);
                _ptes[k] = Template(k);
                fresh &= fresh - 1;
            }
            i = stop;
        }
    }

    /// <summary>Reads an entry without marking it used.</summary>
    public Pte Peek(int i) => IsTemplate(i) ? Template(i) : _ptes[i];

    /// <summary>
    /// Whether entry <paramref name="i"/> maps subpage <paramref name="i"/> of <paramref name="folio"/>: what
    /// <see cref="Peek"/> tells, without making a template entry's value (fork asks it of hundreds in a row).
    /// </summary>
    public bool MapsOwnSubpage(int i, Folio folio) =>
        IsTemplate(i) ? ReferenceEquals(_split, folio) : ReferenceEquals(_ptes[i].Folio, folio) && _ptes[i].Sub == i;

    /// <summary>Indexes of entries that may be non-none, in first-use order (all of them once split).</summary>
    public ReadOnlySpan<short> Used => _split is not null ? AllIndexes : _used.AsSpan(0, _usedCount);

    /// <summary>
    /// <see cref="Used"/>, narrowed to the entries of [<paramref name="start"/>, <paramref name="end"/>) when split (its
    /// indexes are then all 512 in order, and a walk of a few pages would visit them all); the caller still skips the
    /// entries out of range of an unsplit table.
    /// </summary>
    public ReadOnlySpan<short> UsedWithin(ulong start, ulong end)
    {
        if (_split is null)
        {
            return _used.AsSpan(0, _usedCount);
        }
        var tStart = Index << Geometry.PmdShift;
        var first = start <= tStart ? 0 : (int)Math.Min(Geometry.PmdNr, (start - tStart + Geometry.PageSize - 1) >> Geometry.PageShift);
        var stop = end <= tStart ? 0 : end - tStart >= Geometry.PmdSize ? Geometry.PmdNr : (int)((end - tStart + Geometry.PageSize - 1) >> Geometry.PageShift);
        return AllIndexes.AsSpan(first, Math.Max(0, stop - first));
    }

    public bool HasPtes
    {
        get
        {
            foreach (var i in Used)
            {
                // A uffd-wp marker is not pte_none: it keeps the table from PT_RECLAIM.
                if (Peek(i) is var e && (!e.IsNone || e.IsUffdWpMarker))
                {
                    return true;
                }
            }
            return false;
        }
    }

    /// <summary>The folio of a split PMD whose entries are not all written yet (null otherwise).</summary>
    public Folio? TemplateFolio => _split is not null && HasTemplateEntries() ? _split : null;

    /// <summary>Flags of every entry that still holds the split's template.</summary>
    public PteFlags TemplateFlags => _splitFlags;

    /// <summary>True when entry <paramref name="i"/> of a split PMD still holds the template.</summary>
    public bool IsTemplate(int i) => _split is not null && (_written[i >> 6] & (1UL << (i & 63))) == 0;

    /// <summary>Write-protects every template entry at once (the written ones are the caller's).</summary>
    public void WriteProtectTemplate() => _splitFlags &= ~PteFlags.Write;

    /// <summary>Sets the flags of every template entry at once (the written ones are the caller's).</summary>
    public void SetTemplateFlags(PteFlags flags) => _splitFlags = flags;

    /// <summary>True while the table is a split PMD (see <see cref="IsTemplate"/>).</summary>
    public bool IsSplit => _split is not null;

    /// <summary>
    /// The end of the run of template entries that starts at <paramref name="i"/>: the first written entry after it,
    /// or <paramref name="limit"/>. Walkers treat a run at once, since its entries differ only in their subpage.
    /// </summary>
    public int TemplateRunEnd(int i, int limit) => FirstSet(_written, invert: false, i, limit);

    /// <summary>True when entry <paramref name="i"/> of a split PMD is known to be none (see <see cref="_none"/>).</summary>
    public bool IsKnownNone(int i) => (_none[i >> 6] & (1UL << (i & 63))) != 0;

    /// <summary>The end of the run of known-none entries that starts at <paramref name="i"/>.</summary>
    public int KnownNoneRunEnd(int i) => FirstSet(_none, invert: true, i, Geometry.PmdNr);

    /// <summary>The first index in [i, limit) whose bit is set (clear, when inverted), or limit.</summary>
    private static int FirstSet(ulong[] words, bool invert, int i, int limit)
    {
        while (i < limit)
        {
            var w = i >> 6;
            var bits = (invert ? ~words[w] : words[w]) & (ulong.MaxValue << (i & 63));
            if (bits != 0)
            {
                return Math.Min(limit, (w << 6) + System.Numerics.BitOperations.TrailingZeroCount(bits));
            }
            i = (w + 1) << 6;
        }
        return limit;
    }

    /// <summary>The first and last template entries; false when there is none.</summary>
    public bool TemplateSpan(out int first, out int last)
    {
        first = last = -1;
        if (_split is null)
        {
            return false;
        }
        for (var w = 0; w < _written.Length; w++)
        {
            var free = ~_written[w];
            if (free == 0)
            {
                continue;
            }
            if (first < 0)
            {
                first = (w << 6) + System.Numerics.BitOperations.TrailingZeroCount(free);
            }
            last = (w << 6) + 63 - System.Numerics.BitOperations.LeadingZeroCount(free);
        }
        return first >= 0;
    }

    /// <summary>Template entries [<paramref name="first"/>, <paramref name="end"/>) become none (a zap).</summary>
    public void ClearTemplate(int first, int end)
    {
        // An entry still on the template holds the default value underneath: marking it written is enough. A word of
        // bits at a time: a zap of a whole split PMD is 512 entries.
        while (first < end)
        {
            var w = first >> 6;
            var stop = Math.Min(end, (w + 1) << 6);
            var bits = WordBits(first, stop);
            _written[w] |= bits;
            _none[w] |= bits;
            first = stop;
        }
    }

    /// <summary>The bits of entries [<paramref name="first"/>, <paramref name="stop"/>) in their word (one word's entries).</summary>
    private static ulong WordBits(int first, int stop) =>
        (ulong.MaxValue << (first & 63)) & (ulong.MaxValue >> (64 - (stop - (first & ~63))));

    private bool HasTemplateEntries()
    {
        foreach (var w in _written)
        {
            if (w != ulong.MaxValue)
            {
                return true;
            }
        }
        return false;
    }

    private Pte Template(int i) => new() { Folio = _split, Sub = (short)i, Flags = _splitFlags, Grant = _splitGrant, MappedBy = _splitMappedBy };

    private void ClearWritten()
    {
        for (var w = 0; w < _written.Length; w++)
        {
            var bits = _written[w];
            if (bits == ulong.MaxValue)
            {
                // A walk that wrote the whole template (mprotect, a zap) leaves whole words set: cleared at once.
                _ptes.AsSpan(w << 6, 64).Clear();
                bits = 0;
            }
            while (bits != 0)
            {
                _ptes[(w << 6) + System.Numerics.BitOperations.TrailingZeroCount(bits)] = default;
                bits &= bits - 1;
            }
            _written[w] = 0;
            _none[w] = 0;
        }
    }
}
