using System.Collections.Frozen;

namespace FuzzFarm.Programs;

/// <summary>Spelling of flag words, and which words each flag-taking parameter kind accepts.</summary>
public static class FlagWords
{
    public static FrozenDictionary<string, Flag> ByWord { get; } = new Dictionary<string, Flag>(StringComparer.Ordinal)
    {
        ["none"] = Flag.ProtNone,
        ["r"] = Flag.R,
        ["rw"] = Flag.Rw,
        ["private"] = Flag.Private,
        ["shared"] = Flag.Shared,
        ["populate"] = Flag.Populate,
        ["hugetlb"] = Flag.Hugetlb,
        ["dontfork"] = Flag.DontFork,
        ["dofork"] = Flag.DoFork,
        ["hugepage"] = Flag.HugePage,
        ["nohugepage"] = Flag.NoHugePage,
        ["dontneed"] = Flag.DontNeed,
        ["pageout"] = Flag.PageOut,
        ["longterm"] = Flag.LongTerm,
        ["fast"] = Flag.Fast,
        ["on"] = Flag.On,
        ["off"] = Flag.Off,
    }.ToFrozenDictionary(StringComparer.Ordinal);

    /// <summary>
    /// Whether <paramref name="name"/> is a flag word. Every word is lowercase letters (a test guards it), so a name with
    /// any other character, as most bound names have (a digit), is answered without a lookup: validation asks this of
    /// every binding of every candidate program.
    /// </summary>
    public static bool IsWord(string name) => IsLowercase(name) && ByWord.ContainsKey(name);

    // A plain loop: MemoryExtensions.ContainsAnyExceptInRange boxed a char on each call (measured in the fuzz loop).
    private static bool IsLowercase(string name)
    {
        foreach (var c in name)
        {
            if (c is < 'a' or > 'z')
            {
                return false;
            }
        }
        return true;
    }

    // Words sorted by bit, computed once: printing runs for every saved repro and error message.
    private static readonly (string Word, Flag Bit)[] InBitOrder =
        [.. ByWord.OrderBy(kv => (uint)kv.Value).Select(kv => (kv.Key, kv.Value))];

    /// <summary>Canonical print order: the order of the bits.</summary>
    public static string Spell(Flag flags)
    {
        if (flags == Flag.None)
        {
            return "";
        }
        var sb = new System.Text.StringBuilder();
        AppendTo(sb, flags);
        return sb.ToString();
    }

    /// <summary>Appends <see cref="Spell"/>'s text without making a string of it (printing a program).</summary>
    public static void AppendTo(System.Text.StringBuilder sb, Flag flags)
    {
        var first = true;
        foreach (var (word, bit) in InBitOrder)
        {
            if ((flags & bit) != 0)
            {
                sb.Append(first ? "" : "|").Append(word);
                first = false;
            }
        }
    }

    private const Flag ProtWords = Flag.ProtNone | Flag.R | Flag.Rw;
    private const Flag AdviceWords = Flag.DontFork | Flag.DoFork | Flag.HugePage | Flag.NoHugePage | Flag.DontNeed | Flag.PageOut;

    // Built once: the validator asks for every flag argument of every candidate program.
    private static readonly Flag[] OneProt = [ProtWords];
    private static readonly Flag[] OneSharing = [Flag.Private | Flag.Shared];
    private static readonly Flag[] OneAdvice = [AdviceWords];
    private static readonly Flag[] OneAccess = [Flag.R | Flag.Rw];
    private static readonly Flag[] OneOnOff = [Flag.On | Flag.Off];

    /// <summary>
    /// The words a parameter kind accepts, and the subsets of them it requires exactly one of.
    /// The arrays are shared: do not modify them.
    /// </summary>
    public static (Flag Allowed, Flag[] ExactlyOneOf) Rules(ParamKind kind) => kind switch
    {
        ParamKind.Prot => (ProtWords, OneProt),
        ParamKind.MapFlags => (Flag.Private | Flag.Shared | Flag.Populate | Flag.Hugetlb, OneSharing),
        ParamKind.Advice => (AdviceWords, OneAdvice),
        ParamKind.PinFlags => (Flag.R | Flag.Rw | Flag.LongTerm | Flag.Fast, OneAccess),
        ParamKind.OnOff => (Flag.On | Flag.Off, OneOnOff),
        _ => (Flag.None, []),
    };
}
