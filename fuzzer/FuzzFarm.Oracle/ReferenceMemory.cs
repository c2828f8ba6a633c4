using System.Runtime.InteropServices;
using FuzzFarm.Machine;

namespace FuzzFarm.Oracle;

/// <summary>
/// The oracle's plain model of memory: every process owns its private memory outright (fork copies it eagerly,
/// VM_DONTCOPY ranges are absent in the child) and shared mappings are shared. Pages are keyed by address space
/// (a process's private memory, or a shared object) and page number, and stored sparsely like the machine's.
/// Writes are also logged, so that pipe reads and remote reads can accept any value the source held since.
/// </summary>
internal sealed class ReferenceMemory
{
    private readonly PageMap<PageWords> _pages = new();
    private readonly List<PageWords> _pool = [];
    private int _poolUsed;
    private readonly List<long> _scratch = [];
    /// <summary>The snapshot of a page never written: all zeros, never written to.</summary>
    private readonly PageWords _unwritten = new();
    private long _orphans;
    private const long PageMask = (1L << 40) - 1;

    /// <summary>Every reference write: page key, first word, word count, token.</summary>
    private readonly List<(long Key, int From, int Count, ulong Token)> _log = [];
    /// <summary>Positions in the log of each key's writes, ascending: a pipe read checks words against its page's
    /// writes only (scanning the whole log per word was quadratic: 0.5 s for one program with two 4 MiB reads).
    /// Built on demand up to <see cref="_indexed"/>: most programs never ask, and writes stay a plain append.</summary>
    private readonly PageMap<List<int>> _logByKey = new();
    private readonly List<List<int>> _positionLists = [];
    private int _positionListsUsed;
    private int _indexed;

    public int LogCount => _log.Count;

    public void Clear()
    {
        _pages.Clear();
        _logByKey.Clear();
        _poolUsed = 0;
        _positionListsUsed = 0;
        _indexed = 0;
        _orphans = 0;
        _log.Clear();
    }

    /// <summary>
    /// Marks <paramref name="ok"/>[w] for each word w of page <paramref name="key"/> that a write at or after log
    /// position <paramref name="since"/> set to <paramref name="current"/>[w]: one pass over the page's writes.
    /// </summary>
    public void AllowWritten(long key, int since, ReadOnlySpan<ulong> current, Span<bool> ok)
    {
        IndexLog();
        if (!_logByKey.TryGetValue(key, out var positions))
        {
            return;
        }
        var first = positions.Count;
        while (first > 0 && positions[first - 1] >= since)
        {
            first--;
        }
        var log = CollectionsMarshal.AsSpan(_log);
        for (var i = first; i < positions.Count; i++)
        {
            ref readonly var e = ref log[positions[i]];
            for (var w = e.From; w < e.From + e.Count; w++)
            {
                ok[w] |= current[w] == e.Token;
            }
        }
    }

    private PageWords Rent()
    {
        if (_poolUsed == _pool.Count)
        {
            _pool.Add(new PageWords());
        }
        var w = _pool[_poolUsed++];
        w.Reset();
        return w;
    }

    /// <summary>The page key of <paramref name="addr"/> as process <paramref name="p"/> sees it; -1 if unmapped.</summary>
    public static long Key(Process p, ulong addr)
    {
        Vma? vma = null;
        return Key(p, addr, ref vma);
    }

    /// <summary>
    /// <see cref="Key(Process, ulong)"/> for a walk up a range: <paramref name="vma"/> is the mapping found for the
    /// previous page, looked up again only once the walk leaves it (mappings do not overlap).
    /// </summary>
    public static long Key(Process p, ulong addr, ref Vma? vma)
    {
        vma = p.FindVma(addr, vma);
        if (vma is null)
        {
            return -1;
        }
        if (vma.Shared)
        {
            var offset = (ulong)vma.ShmOffset + (addr - vma.Start);
            return ((1L << 20) + vma.Shm!.Id) << 40 | (long)(offset >> Geometry.PageShift);
        }
        return PrivateKey(p, addr);
    }

    /// <summary>
    /// The key of the page at <paramref name="a"/> and how many pages from there up to <paramref name="end"/> lie in
    /// the same mapping: their keys follow on one by one (an unmapped page is a run of one, key -1). A walk looks the
    /// mapping up once per run instead of once per page.
    /// </summary>
    public static (long Key, int Pages) KeyRun(Process p, ulong a, ulong end)
    {
        Vma? vma = null;
        var key = Key(p, a, ref vma);
        return (key, vma is null ? 1 : (int)((Math.Min(vma.End, end) - a + 0xfff) >> 12));
    }

    /// <summary>The key of <paramref name="p"/>'s private page at <paramref name="addr"/>.</summary>
    private static long PrivateKey(Process p, ulong addr) => ((long)p.Id + 1) << 40 | (long)(addr >> Geometry.PageShift);

    private static long Space(long key) => key >> 40;

    /// <summary>Where a private key's page sits in its process.</summary>
    private static ulong PageAddress(long key) => (ulong)(key & PageMask) << Geometry.PageShift;

    public ulong Read(long key, int word) => key >= 0 && _pages.TryGetValue(key, out var w) ? w.Get(word) : 0;

    public PageWords? Page(long key) => key >= 0 && _pages.TryGetValue(key, out var w) ? w : null;

    public void Write(long key, int from, int count, ulong token)
    {
        if (key < 0)
        {
            return;
        }
        // One probe of the map, whether or not the page is there yet.
        ref var w = ref _pages.GetValueRefOrAddDefault(key);
        w ??= Rent();
        w.SetRange(from, count, token);
        _log.Add((key, from, count, token));
    }

    private void IndexLog()
    {
        for (; _indexed < _log.Count; _indexed++)
        {
            ref var positions = ref _logByKey.GetValueRefOrAddDefault(_log[_indexed].Key);
            positions ??= RentPositions();
            positions.Add(_indexed);
        }
    }

    private List<int> RentPositions()
    {
        if (_positionListsUsed == _positionLists.Count)
        {
            _positionLists.Add([]);
        }
        var list = _positionLists[_positionListsUsed++];
        list.Clear();
        return list;
    }

    /// <summary>Writes [addr, addr+len) of process <paramref name="p"/>'s view, page by page.</summary>
    public void WriteRange(Process p, ulong addr, long len, ulong token)
    {
        var end = addr + (ulong)len;
        var a = addr;
        Vma? vma = null;
        while (a < end)
        {
            var stop = Math.Min((a | 0xfff) + 1, end);
            Write(Key(p, a, ref vma), (int)((a & 0xfff) >> 3), (int)((stop - a) >> 3), token);
            a = stop;
        }
    }

    /// <summary>A copy of a page's current contents (for pipe and remote-read tolerance).</summary>
    public PageWords Snapshot(long key)
    {
        if (Page(key) is not { } w)
        {
            // Snapshots are only read: every page never written shares one.
            return _unwritten;
        }
        var s = Rent();
        s.CopyFrom(w);
        return s;
    }

    /// <summary>fork: the child's private memory starts as an eager copy of the parent's (except VM_DONTCOPY).</summary>
    public void Fork(Process parent, Process child)
    {
        _scratch.Clear();
        var space = (long)parent.Id + 1;
        foreach (var key in _pages.Keys)
        {
            if (Space(key) == space)
            {
                _scratch.Add(key);
            }
        }
        Vma? vma = null;
        foreach (var key in _scratch)
        {
            var addr = PageAddress(key);
            // Pages come mostly in address order: the previous page's mapping is usually this one's too.
            vma = parent.FindVma(addr, vma);
            if (vma is null || vma.DontCopy || vma.Shared)
            {
                continue;
            }
            var copy = Rent();
            copy.CopyFrom(_pages[key]);
            _pages[PrivateKey(child, addr)] = copy;
        }
    }

    /// <summary>
    /// A private page is zapped (dontneed, munmap) while a pin, a pipe buffer or an in-flight I/O still holds it: its
    /// contents and write log move to a fresh key that no address maps, which those holders keep using. Returns it.
    /// </summary>
    public long Orphan(long key)
    {
        // Orphan spaces start above every process and shared-object space.
        var orphan = ((1L << 22) + ++_orphans) << 40 | (key & PageMask);
        if (_pages.Remove(key, out var w))
        {
            _pages[orphan] = w;
        }
        IndexLog();
        if (_logByKey.Remove(key, out var positions))
        {
            var log = CollectionsMarshal.AsSpan(_log);
            foreach (var i in positions)
            {
                log[i].Key = orphan;
            }
            _logByKey[orphan] = positions;
        }
        return orphan;
    }

    /// <summary>munmap: the process's private pages in [start, end) are gone; a later mapping there starts at 0.</summary>
    public void Forget(Process p, ulong start, ulong end)
    {
        // Walk the range or the pages held, whichever is shorter (removals commute).
        if (RangePages(start, end) <= (ulong)_pages.Count)
        {
            for (var a = start; a < end; a += 0x1000)
            {
                _pages.Remove(PrivateKey(p, a));
            }
            return;
        }
        // A PageMap lets the walk remove as it goes.
        foreach (var key in _pages.Keys)
        {
            if (InPrivateRange(key, p, start, end))
            {
                _pages.Remove(key);
            }
        }
    }

    /// <summary>
    /// The pages of [<paramref name="start"/>, <paramref name="end"/>) (page-aligned start); for a range reaching past
    /// every address a key can hold, <see cref="ulong.MaxValue"/>, so that it is never walked page by page.
    /// </summary>
    public static ulong RangePages(ulong start, ulong end) => end > 1UL << 52 ? ulong.MaxValue : (end - start + 0xfff) >> 12;

    /// <summary>Is <paramref name="key"/> one of process <paramref name="p"/>'s private pages in [start, end)?</summary>
    public static bool InPrivateRange(long key, Process p, ulong start, ulong end)
    {
        var addr = PageAddress(key);
        return key >= 0 && Space(key) == (long)p.Id + 1 && addr >= start && addr < end;
    }

    /// <summary>MADV_DONTNEED: the process's private pages in [start, end) read 0 again (shared pages keep theirs).</summary>
    public void Discard(Process p, ulong start, ulong end)
    {
        _scratch.Clear();
        foreach (var key in _pages.Keys)
        {
            if (InPrivateRange(key, p, start, end) && p.FindVma(PageAddress(key)) is { Shared: false })
            {
                _scratch.Add(key);
            }
        }
        foreach (var key in _scratch)
        {
            Write(key, 0, Geometry.WordsPerPage, 0);
        }
    }
}
