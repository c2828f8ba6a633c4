namespace FuzzFarm.Machine;

/// <summary>
/// Per pfn of one execution: the decision that allocated the page and the page its contents were copied from. A
/// lost write is blamed on where the process's contents parted from the page the write went to; a later copy of
/// that copy (an unshare, a swap-out and in) only carried the loss on. Indexed by pfn, not kept on the pooled folio
/// objects, which a later allocation reuses; every pfn an execution uses is written when it is allocated.
/// </summary>
internal sealed class Lineage
{
    private int[] _parent = new int[1024];
    private Decision[] _origin = new Decision[1024];

    public void Born(int pfn, Decision origin)
    {
        if (pfn >= _parent.Length)
        {
            var size = Math.Max(pfn + 1, _parent.Length * 2);
            Array.Resize(ref _parent, size);
            Array.Resize(ref _origin, size);
        }
        _parent[pfn] = 0;
        _origin[pfn] = origin;
    }

    /// <summary>Records that <paramref name="pfn"/> took its contents from <paramref name="source"/> (0: none, or the zero page).</summary>
    public void CopiedFrom(int pfn, int source) => _parent[pfn] = source;

    public int ParentOf(int pfn) => _parent[pfn];

    public Decision FirstNewer(int pfn, int than)
    {
        while (_parent[pfn] > than)
        {
            pfn = _parent[pfn];
        }
        return _origin[pfn];
    }
}
