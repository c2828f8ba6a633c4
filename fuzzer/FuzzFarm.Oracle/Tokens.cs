using FuzzFarm.Machine;

namespace FuzzFarm.Oracle;

internal enum WriteKind : byte
{
    Cpu,
    Dma,
    ODirect,
}

/// <summary>Who wrote a token, when, and where the write landed in the machine.</summary>
internal struct TokenInfo
{
    public Process Writer;
    public string Thread;
    public int Line;
    public WriteKind Kind;
    public Landing Landing;
    /// <summary>
    /// A write over several folios (a memset, an O_DIRECT read): its landings in address order, each from the page in
    /// its <see cref="Landing.Page"/> on (one per folio, or per page); null for one folio.
    /// </summary>
    public Landing[]? PerFolio;
    /// <summary>The oracle's step at which the writer got its access: the store itself, the pin, the O_DIRECT GUP.</summary>
    public long Access;
}

/// <summary>
/// Every executed write gets a unique token (1, 2, ...; 0 is "never written"); memory holds tokens, so each
/// observed word names its writer. The token number doubles as the oracle's clock (fork times compare with it).
/// </summary>
internal sealed class Tokens
{
    private TokenInfo[] _info = new TokenInfo[64];

    public int Count { get; private set; }

    public void Clear() => Count = 0;

    public ulong New(Process writer, string thread, int line, WriteKind kind, long access)
    {
        if (Count + 1 >= _info.Length)
        {
            Array.Resize(ref _info, _info.Length * 2);
        }
        Count++;
        // Field by field: assigning a whole TokenInfo copies it through a bulk write-barrier helper, on every write.
        ref var i = ref _info[Count];
        i.Writer = writer;
        i.Thread = thread;
        i.Line = line;
        i.Kind = kind;
        i.Landing = default;
        i.PerFolio = null;
        i.Access = access;
        return (ulong)Count;
    }

    public ref TokenInfo this[ulong token] => ref _info[token];

    public bool Valid(ulong token) => token > 0 && token <= (ulong)Count;

    public string Print(ulong token)
    {
        if (token == 0)
        {
            return "0";
        }
        if (!Valid(token))
        {
            return $"?{token}";
        }
        ref var i = ref _info[token];
        var suffix = i.Kind switch { WriteKind.Dma => "/dma", WriteKind.ODirect => "/odirect", _ => "" };
        return $"P{i.Writer.Id}.{i.Thread}@line{i.Line}{suffix}";
    }

    /// <summary>
    /// The step of the fork that parted <paramref name="a"/>'s and <paramref name="b"/>'s lines: the earliest fork on
    /// the way down from their nearest common ancestor to either (<paramref name="forkStep"/> gives a process's own).
    /// Cousins parted at the first fork on either side, not never. <see cref="long.MaxValue"/> for one process.
    /// </summary>
    public static long PartedAt(Process a, Process b, Func<Process, long> forkStep)
    {
        var common = a;
        while (common is not null && !Descends(b, common))
        {
            common = common.Parent;
        }
        return common is null
            ? long.MaxValue
            : Math.Min(DescentParted(a, common, forkStep), DescentParted(b, common, forkStep));
    }

    private static bool Descends(Process p, Process ancestor)
    {
        for (var q = p; q is not null; q = q.Parent)
        {
            if (q == ancestor)
            {
                return true;
            }
        }
        return false;
    }

    private static long DescentParted(Process descendant, Process ancestor, Func<Process, long> forkStep)
    {
        var parted = long.MaxValue;
        for (var p = descendant; p != ancestor; p = p.Parent)
        {
            if (p.Parent is null)
            {
                return long.MaxValue;
            }
            parted = Math.Min(parted, forkStep(p));
        }
        return parted;
    }

    /// <summary>
    /// Is the token in <paramref name="observer"/>'s own history? Yes if the observer wrote it, or an ancestor
    /// wrote it before the fork that separated their lines (0, never written, is in everyone's history).
    /// </summary>
    public bool InHistory(Process observer, ulong token)
    {
        if (token == 0)
        {
            return true;
        }
        if (!Valid(token))
        {
            return false;
        }
        var writer = _info[token].Writer;
        var p = observer;
        var parted = long.MaxValue;
        while (p != writer)
        {
            if (p.Parent is null)
            {
                return false;
            }
            parted = Math.Min(parted, p.ForkTime);
            p = p.Parent;
        }
        return (long)token <= parted;
    }
}
