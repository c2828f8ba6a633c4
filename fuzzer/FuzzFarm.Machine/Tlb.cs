namespace FuzzFarm.Machine;

/// <summary>
/// One CPU's TLB: cached translations with their write permission. Filled on access, emptied only by a flush.
/// <see cref="TlbEntry.Stale"/> is set when the kernel changed the PTE behind the entry without flushing yet,
/// naming the decision that left it stale (for the trace and the signature).
/// </summary>
internal sealed class Tlb
{
    private readonly List<TlbEntry> _entries = [];

    public int Count => _entries.Count;

    public void Clear() => _entries.Clear();

    public int Find(ulong page)
    {
        for (var i = 0; i < _entries.Count; i++)
        {
            if (_entries[i].Page == page)
            {
                return i;
            }
        }
        return -1;
    }

    public TlbEntry this[int i] => _entries[i];

    public void Fill(in TlbEntry entry)
    {
        var i = Find(entry.Page);
        if (i >= 0)
        {
            _entries[i] = entry;
        }
        else
        {
            _entries.Add(entry);
        }
    }

    /// <summary>Drops the entries of pages [first, last]; returns how many.</summary>
    public int Flush(ulong first, ulong last)
    {
        var n = 0;
        for (var i = _entries.Count - 1; i >= 0; i--)
        {
            if (_entries[i].Page >= first && _entries[i].Page <= last)
            {
                _entries.RemoveAt(i);
                n++;
            }
        }
        return n;
    }

    /// <summary>Marks entries of pages [first, last] stale (the PTE changed, no flush yet).</summary>
    public void MarkStale(ulong first, ulong last, Decision cause)
    {
        for (var i = 0; i < _entries.Count; i++)
        {
            var e = _entries[i];
            if (e.Page >= first && e.Page <= last && e.Stale == Decision.None)
            {
                e.Stale = cause;
                _entries[i] = e;
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
