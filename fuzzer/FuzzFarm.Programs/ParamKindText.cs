using System.Text;

namespace FuzzFarm.Programs;

/// <summary>How parameter kinds and op signatures read in error messages.</summary>
internal static class ParamKindText
{
    public static bool IsFlags(ParamKind kind) =>
        kind is ParamKind.Prot or ParamKind.MapFlags or ParamKind.Advice or ParamKind.PinFlags or ParamKind.OnOff;

    public static string Name(ParamKind kind) => kind switch
    {
        ParamKind.Number => "number",
        ParamKind.Address => "address",
        ParamKind.Prot => "prot",
        ParamKind.MapFlags => "map flags",
        ParamKind.Advice => "advice",
        ParamKind.PinFlags => "pin flags",
        ParamKind.OnOff => "on/off",
        ParamKind.Thread => "thread",
        ParamKind.Pipe => "pipe",
        ParamKind.Pin => "pin",
        ParamKind.File => "file",
        ParamKind.Uffd => "uffd",
        ParamKind.Handle => "handle",
        _ => kind.ToString(),
    };

    /// <summary>What a bound name of this kind is, e.g. "an address".</summary>
    public static string Article(ParamKind kind) => kind switch
    {
        ParamKind.Address => "an address",
        ParamKind.Uffd => "a userfaultfd",
        _ => "a " + Name(kind),
    };

    /// <summary>What a position of this kind accepts, phrased to follow "expected".</summary>
    public static string Expected(ParamKind kind) => kind switch
    {
        ParamKind.Number => "a number",
        ParamKind.Address => "an address (a name bound by mmap, optionally name+offset)",
        ParamKind.Thread => "a thread (t0 or a name bound by fork or thread)",
        ParamKind.Pipe => "a pipe (a name bound by pipe)",
        ParamKind.Pin => "a pin (a name bound by pin)",
        ParamKind.File => "a file (a name bound by file)",
        ParamKind.Uffd => "a userfaultfd (a name bound by uffd)",
        ParamKind.Handle => "a handle (the name bound by an op split with &)",
        ParamKind.Prot => "a prot: none, r or rw",
        ParamKind.MapFlags => "map flags: private or shared, optionally |populate, |hugetlb",
        ParamKind.Advice => "an advice: dontfork, dofork, hugepage, nohugepage, dontneed or pageout",
        ParamKind.PinFlags => "pin flags: r or rw, optionally |longterm, |fast",
        ParamKind.OnOff => "on or off",
        _ => Name(kind),
    };

    /// <summary>The words of a flag set in print order, e.g. <c>none, r, rw</c>.</summary>
    public static string Words(Flag flags, string separator) => FlagWords.Spell(flags).Replace("|", separator, StringComparison.Ordinal);

    /// <summary><c>mmap(number, prot, map flags)</c>.</summary>
    public static string Signature(OpInfo info)
    {
        var sb = new StringBuilder(info.Name).Append('(');
        for (var i = 0; i < info.Params.Length; i++)
        {
            sb.Append(i == 0 ? "" : ", ").Append(Name(info.Params[i]));
        }
        return sb.Append(')').ToString();
    }

    public static string Arguments(int count) => count switch
    {
        0 => "no arguments",
        1 => "1 argument",
        _ => $"{count} arguments",
    };
}
