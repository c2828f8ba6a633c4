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

    /// <summary>Canonical print order: the order of the bits.</summary>
    public static string Spell(Flag flags)
    {
        if (flags == Flag.None)
        {
            return "";
        }
        var parts = new List<string>(3);
        foreach (var (word, bit) in ByWord.OrderBy(kv => (uint)kv.Value))
        {
            if ((flags & bit) != 0)
            {
                parts.Add(word);
            }
        }
        return string.Join('|', parts);
    }

    /// <summary>The words a parameter kind accepts, and the subsets of them it requires exactly one of.</summary>
    public static (Flag Allowed, Flag[] ExactlyOneOf) Rules(ParamKind kind) => kind switch
    {
        ParamKind.Prot => (Flag.ProtNone | Flag.R | Flag.Rw, [Flag.ProtNone | Flag.R | Flag.Rw]),
        ParamKind.MapFlags => (Flag.Private | Flag.Shared | Flag.Populate | Flag.Hugetlb, [Flag.Private | Flag.Shared]),
        ParamKind.Advice => (Flag.DontFork | Flag.DoFork | Flag.HugePage | Flag.NoHugePage | Flag.DontNeed | Flag.PageOut,
            [Flag.DontFork | Flag.DoFork | Flag.HugePage | Flag.NoHugePage | Flag.DontNeed | Flag.PageOut]),
        ParamKind.PinFlags => (Flag.R | Flag.Rw | Flag.LongTerm | Flag.Fast, [Flag.R | Flag.Rw]),
        ParamKind.OnOff => (Flag.On | Flag.Off, [Flag.On | Flag.Off]),
        _ => (Flag.None, []),
    };
}
