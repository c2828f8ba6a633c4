namespace FuzzFarm.Machine;

/// <summary>
/// Per pfn of one execution: the decision that allocated the page, the page its contents were copied from, what
/// kind of page the copy made, and the decision by which the copying process mapped the page it copied (with that
/// page's kind as the mapping showed it). A lost write is blamed on where the process's contents parted from the page
/// the write went to; a later copy of that copy (an unshare, a swap-out and in) only carried the loss on; a leak seen
/// in a copy, on how the copier mapped what it copied. Indexed by pfn, not kept on the pooled folio objects, which a
/// later allocation reuses; every pfn an execution uses is written when it is allocated.
/// </summary>
internal sealed class Lineage
{
    private int[] _parent = new int[1024];
    private Decision[] _origin = new Decision[1024];
    private PageKind?[] _kind = new PageKind?[1024];
    private Decision[] _through = new Decision[1024];
    private PageKind[] _throughKind = new PageKind[1024];

    public void Born(int pfn, Decision origin)
    {
        Reserve(pfn);
        _parent[pfn] = 0;
        _origin[pfn] = origin;
        _kind[pfn] = null;
        _through[pfn] = Decision.None;
    }

    /// <summary><see cref="Born"/> for each of pfns [<paramref name="first"/>, +<paramref name="count"/>).</summary>
    public void BornRun(int first, int count, Decision origin)
    {
        Reserve(first + count - 1);
        _parent.AsSpan(first, count).Clear();
        _origin.AsSpan(first, count).Fill(origin);
        _kind.AsSpan(first, count).Clear();
        _through.AsSpan(first, count).Clear();
    }

    /// <summary>
    /// Records that <paramref name="pfn"/>, a page of <paramref name="kind"/>, took its contents from
    /// <paramref name="source"/> (0: none), which the copying process mapped by <paramref name="through"/> as a page
    /// of <paramref name="throughKind"/> (None: not through a mapping, as a page read back from swap).
    /// </summary>
    public void CopiedFrom(int pfn, int source, PageKind kind, Decision through, PageKind throughKind)
    {
        _parent[pfn] = source;
        _kind[pfn] = kind;
        _through[pfn] = through;
        _throughKind[pfn] = throughKind;
    }

    /// <summary>
    /// <see cref="Born"/> then <see cref="CopiedFrom"/> for each of pfns [<paramref name="first"/>, +<paramref name="count"/>),
    /// all copies of the same kind through the same mapping, each from its own subpage of one folio.
    /// </summary>
    public void CopiedRun(int first, int count, Decision origin, int source, PageKind kind, Decision through, PageKind throughKind)
    {
        Reserve(first + count - 1);
        _parent.AsSpan(first, count).Fill(source);
        _origin.AsSpan(first, count).Fill(origin);
        _kind.AsSpan(first, count).Fill(kind);
        _through.AsSpan(first, count).Fill(through);
        _throughKind.AsSpan(first, count).Fill(throughKind);
    }

    private void Reserve(int pfn)
    {
        if (pfn >= _parent.Length)
        {
            var size = Math.Max(pfn + 1, _parent.Length * 2);
            Array.Resize(ref _parent, size);
            Array.Resize(ref _origin, size);
            Array.Resize(ref _kind, size);
            Array.Resize(ref _through, size);
            Array.Resize(ref _throughKind, size);
        }
    }

    public int ParentOf(int pfn) => _parent[pfn];

    /// <summary>The decision by which the copier of <paramref name="pfn"/> mapped the page it copied (None: unknown or not a copy).</summary>
    public Decision ThroughOf(int pfn) => _through[pfn];

    /// <summary>The kind of the page copied into <paramref name="pfn"/>, as the copier's mapping showed it.</summary>
    public PageKind ThroughKindOf(int pfn) => _throughKind[pfn];

    /// <summary>
    /// The origin of the oldest page in <paramref name="pfn"/>'s line that is newer than <paramref name="than"/>, and
    /// its kind when that is an older page than <paramref name="pfn"/> (null: the caller knows the page itself).
    /// </summary>
    public (Decision Origin, PageKind? Kind) FirstNewer(int pfn, int than)
    {
        var at = pfn;
        while (_parent[at] > than)
        {
            at = _parent[at];
        }
        return (_origin[at], at == pfn ? null : _kind[at]);
    }
}
