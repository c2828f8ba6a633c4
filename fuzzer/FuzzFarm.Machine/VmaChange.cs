using FuzzFarm.Programs;

namespace FuzzFarm.Machine;

/// <summary>
/// What an mprotect, madvise or uffd_register would change on a VMA, asked of every VMA in its range. A value, not a
/// delegate: the walks run on every such call, and a lambda capturing the call's arguments allocated each time.
/// </summary>
internal readonly record struct VmaChange
{
    private enum What : byte
    {
        Nothing,
        Protection,
        Advice,
        Userfaultfd,
    }

    private readonly What _what;
    private readonly Flag _flag;
    private readonly int _uffd;

    private VmaChange(What what, Flag flag, int uffd)
    {
        _what = what;
        _flag = flag;
        _uffd = uffd;
    }

    /// <summary>A walk that changes no VMA flags (dontneed, pageout).</summary>
    public static VmaChange None => default;

    public static VmaChange Protection(Flag prot) => new(What.Protection, prot, 0);

    public static VmaChange Advice(Flag advice) => new(What.Advice, advice, 0);

    public static VmaChange Userfaultfd(int uffd) => new(What.Userfaultfd, Flag.None, uffd);

    public bool Changes(Vma v) => _what switch
    {
        What.Protection => v.Read != ((_flag & (Flag.R | Flag.Rw)) != 0) || v.Write != ((_flag & Flag.Rw) != 0),
        What.Advice => _flag switch
        {
            Flag.DontFork => !v.DontCopy,
            Flag.DoFork => v.DontCopy,
            Flag.HugePage => !v.HugePage || v.NoHugePage,
            _ => !v.NoHugePage || v.HugePage,
        },
        What.Userfaultfd => v.Uffd != _uffd,
        _ => false,
    };
}
