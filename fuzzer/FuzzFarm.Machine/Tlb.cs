using System.Runtime.CompilerServices;

namespace FuzzFarm.Machine;

/// <summary>
/// One CPU's TLB: cached translations with their write permission. Filled on access, emptied only by a flush.
/// <see cref="TlbEntry.Stale"/> is set when the kernel changed the PTE behind the entry without flushing yet,
/// naming the decision that left it stale (for the trace and the signature).
/// </summary>
internal sealed class Tlb
{
    // Keyed by virtual page: a memset over a 4M range fills 1024 entries, and each access looks one up.
    private readonly PageMap<TlbEntry> _entries = new();
    private readonly List<ulong> _scratch = [];

    public int Count => _entries.Count;

    public void Clear() => _entries.Clear();

    public bool TryFind(ulong page, out TlbEntry entry) => _entries.TryGetValue((long)page, out entry);

    public void Fill(in TlbEntry entry) => _entries[(long)entry.Page] = entry;

    /// <summary>Drops the entries of pages [first, last]; returns how many.</summary>
    public int Flush(ulong first, ulong last)
    {
        if (first == last)
        {
            return _entries.Remove((long)first) ? 1 : 0;
        }
        if (first == 0 && last >= ulong.MaxValue >> Geometry.PageShift)
        {
            // The whole mm (fork, a nested flush): nothing to select.
            var all = _entries.Count;
            Clear();
            return all;
        }
        InRange(first, last);
        foreach (var page in _scratch)
        {
            _entries.Remove((long)page);
        }
        return _scratch.Count;
    }

    /// <summary>
    /// Marks entries of pages [first, last] stale (the PTE changed, no flush yet); returns how many of them still
    /// allowed writing.
    /// </summary>
    public int MarkStale(ulong first, ulong last, Decision cause)
    {
        if (first == last)
        {
            ref var one = ref _entries.GetValueRefOrNullRef((long)first);
            if (!Unsafe.IsNullRef(ref one) && one.Stale == Decision.None)
            {
                one.Stale = cause;
                return one.Writable ? 1 : 0;
            }
            return 0;
        }
        InRange(first, last);
        var writable = 0;
        foreach (var page in _scratch)
        {
            ref var e = ref _entries.GetValueRefOrNullRef((long)page);
            if (e.Stale == Decision.None)
            {
                e.Stale = cause;
                writable += e.Writable ? 1 : 0;
            }
        }
        return writable;
    }

    /// <summary>The cached pages in [first, last], into the scratch list.</summary>
    private void InRange(ulong first, ulong last)
    {
        _scratch.Clear();
        if (last - first < (ulong)_entries.Count)
        {
            for (var page = first; page <= last; page++)
            {
                if (_entries.ContainsKey((long)page))
                {
                    _scratch.Add(page);
                }
            }
            return;
        }
        foreach (var key in _entries.Keys)
        {
            if ((ulong)key is var page && page >= first && page <= last)
            {
                _scratch.Add(page);
            }
        }
    }
}

internal struct TlbEntry
{
    public ulong Page;
    public Folio Folio;
    public short Sub;
    public bool Writable;
    public Decision Grant;
    public Decision Stale;
    public PageKind Kind;
}
