namespace FuzzFarm.Export.Reference;

/// <summary>A process of the reference model: its mappings and what soft-dirty must report.</summary>
internal sealed class ModelProcess(int id)
{
    public int Id { get; } = id;

    public List<Vma> Vmas { get; init; } = [];

    public bool Exited { get; set; }

    /// <summary>Page address → sequence of the last CPU write (or O_DIRECT fill) in this process.</summary>
    public Dictionary<long, long> PageWrites { get; init; } = [];

    public long LastClearRefs { get; set; } = -1;

    /// <summary>Pages this process has faulted in (any access, GUP or populate): only those take uffd-wp protection.</summary>
    public HashSet<long> Touched { get; init; } = [];

    public Vma? Find(long addr) => Vmas.Find(v => v.Contains(addr));

    /// <summary>Removes [start, end) from every mapping, keeping the parts outside it.</summary>
    public void Unmap(long start, long end)
    {
        var kept = new List<Vma>(Vmas.Count + 1);
        foreach (var v in Vmas)
        {
            if (v.End <= start || v.Start >= end)
            {
                kept.Add(v);
                continue;
            }
            if (v.Start < start)
            {
                kept.Add(v with { End = start });
            }
            if (v.End > end)
            {
                kept.Add(v with { Start = end });
            }
        }
        Vmas.Clear();
        Vmas.AddRange(kept);
    }

    /// <summary>Applies <paramref name="change"/> to the part of every mapping inside [start, end).</summary>
    public void Change(long start, long end, Func<Vma, Vma> change)
    {
        var result = new List<Vma>(Vmas.Count + 2);
        foreach (var v in Vmas)
        {
            if (v.End <= start || v.Start >= end)
            {
                result.Add(v);
                continue;
            }
            if (v.Start < start)
            {
                result.Add(v with { End = start });
            }
            result.Add(change(v with { Start = Math.Max(v.Start, start), End = Math.Min(v.End, end) }));
            if (v.End > end)
            {
                result.Add(v with { Start = end });
            }
        }
        Vmas.Clear();
        Vmas.AddRange(result.OrderBy(v => v.Start));
    }

    /// <summary>True when every byte of [start, end) is mapped.</summary>
    public bool Covers(long start, long end) => MappedEnd(start, end) >= end;

    /// <summary>
    /// Where the mapped run from <paramref name="start"/> ends, at most <paramref name="end"/>: the first hole's start,
    /// or <paramref name="start"/> itself when it is unmapped.
    /// </summary>
    public long MappedEnd(long start, long end)
    {
        var at = start;
        foreach (var v in Vmas.OrderBy(v => v.Start))
        {
            if (v.Start <= at && v.End > at)
            {
                at = v.End;
            }
        }
        return Math.Min(at, end);
    }

    /// <summary>The parts of [start, end) that mappings cover, in address order.</summary>
    public IEnumerable<(long Start, long End)> MappedParts(long start, long end) =>
        Vmas.Where(v => v.Start < end && v.End > start).OrderBy(v => v.Start).Select(v => (Math.Max(v.Start, start), Math.Min(v.End, end)));
}
