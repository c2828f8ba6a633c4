namespace FuzzFarm.Export.Reference;

/// <summary>A thread of the reference model: its process, and a write it is blocked in, if any.</summary>
internal sealed class ModelThread(string name, int process)
{
    public string Name { get; } = name;

    public int Process { get; } = process;

    public PendingWrite? Pending { get; set; }

    /// <summary>Blocked on an event only it could deliver: it never runs again.</summary>
    public bool Hung { get; set; }
}

/// <summary>The rest of a CPU write that blocked on a write-protected page, finished when the handler serves it.</summary>
internal sealed record PendingWrite(int Step, int Line, List<(long Addr, ulong Token)> Remaining);

/// <summary>A word queued in a pipe by vmsplice: a reference to the page, not a copy.</summary>
internal sealed record PipeWord(MemObject Object, long Word, long Seq);

internal sealed class PipeState
{
    public Queue<PipeWord> Words { get; } = new();
}

/// <summary>A pin: the memory behind [Start, Start+Length) when it was pinned, whatever the process maps later.</summary>
internal sealed class PinState(long start, long length, List<Vma> segments, bool writable)
{
    /// <summary>Pinned with FOLL_WRITE (<c>rw</c>): only then can the device write through it.</summary>
    public bool Writable { get; } = writable;

    public long Start { get; } = start;

    public long Length { get; } = length;

    public List<Vma> Segments { get; } = segments;

    public (MemObject Object, long Word) At(long offset)
    {
        var addr = Start + offset;
        var v = Segments.First(s => s.Contains(addr));
        return (v.Object, v.Word(addr));
    }
}

internal sealed class FileState
{
    public List<ulong> Words { get; } = [];
}

internal sealed class UffdState(int process, int handler)
{
    public int Process { get; } = process;

    /// <summary>Thread slot of the thread that created it: the handler.</summary>
    public int Handler { get; } = handler;

    public List<(long Start, long End)> Registered { get; } = [];

    /// <summary>Write-protected 4 KiB pages.</summary>
    public HashSet<long> Protected { get; } = [];

    /// <summary>Thread slots blocked on this uffd, in the order they blocked.</summary>
    public List<int> Waiting { get; } = [];

    public bool IsRegistered(long addr) => Registered.Exists(r => addr >= r.Start && addr < r.End);

    public bool Blocks(long addr) => IsRegistered(addr) && Protected.Contains(addr & ~4095L);

    public void Forget(long start, long end)
    {
        var kept = new List<(long, long)>();
        foreach (var (s, e) in Registered)
        {
            if (s < start)
            {
                kept.Add((s, Math.Min(e, start)));
            }
            if (e > end)
            {
                kept.Add((Math.Max(s, end), e));
            }
        }
        Registered.Clear();
        Registered.AddRange(kept);
        Protected.RemoveWhere(p => p >= start && p < end);
    }
}
