using System.Collections.Immutable;
using System.Text;

namespace FuzzFarm.Machine;

/// <summary>
/// A kernel release as a set of named policy switches (kernel-history.md §1.1). Named profiles are listed oldest
/// first; a derived profile is written <c>v5.9+fork_copies_pinned=false</c> (several <c>+</c> allowed).
/// <c>v5.7</c> stands for mainline ≤5.7.2 (row A).
/// </summary>
public sealed class KernelProfile
{
    private readonly int[] _values;

    private KernelProfile(string name, int[] values)
    {
        Name = name;
        _values = values;
        BaseReuse = (BaseReuseRule)values[(int)Switch.BaseReuse];
        PmdThpReuse = (PmdThpRule)values[(int)Switch.PmdThpReuse];
        PteThpReuse = (PteThpRule)values[(int)Switch.PteThpReuse];
        SwapinReuse = (SwapinRule)values[(int)Switch.SwapinReuse];
        HugetlbReuse = (HugetlbRule)values[(int)Switch.HugetlbReuse];
        ReadGupBreaksCow = values[(int)Switch.ReadGupBreaksCow] != 0;
        ForkCopiesPinned = values[(int)Switch.ForkCopiesPinned] != 0;
        ForkCopiesPinnedHugetlb = values[(int)Switch.ForkCopiesPinnedHugetlb] != 0;
        ClearRefsSkipsPinned = values[(int)Switch.ClearRefsSkipsPinned] != 0;
        ClearRefsWriteLock = values[(int)Switch.ClearRefsWriteLock] != 0;
        ClearRefsFlush = values[(int)Switch.ClearRefsFlush] != 0;
        UffdWpFlushBeforeCopy = values[(int)Switch.UffdWpFlushBeforeCopy] != 0;
        PinnedNotSwapcached = values[(int)Switch.PinnedNotSwapcached] != 0;
        AnonExclusive = values[(int)Switch.AnonExclusive] != 0;
        RoPinUnshare = (RoPinUnshareRule)values[(int)Switch.RoPinUnshare];
        OdirectFollPin = values[(int)Switch.OdirectFollPin] != 0;
        MprotectWritable = (MprotectWritableRule)values[(int)Switch.MprotectWritable];
        UffdWpShmemHugetlb = values[(int)Switch.UffdWpShmemHugetlb] != 0;
        UffdUnprotectPageProt = values[(int)Switch.UffdUnprotectPageProt] != 0;
        HugetlbDontneed = values[(int)Switch.HugetlbDontneed] != 0;
        ForkClearsUffdWp = values[(int)Switch.ForkClearsUffdWp] != 0;
        PtReclaim = values[(int)Switch.PtReclaim] != 0;
        HugetlbDontneedAlignDown = values[(int)Switch.HugetlbDontneedAlignDown] != 0;
        LongtermFastRetry = values[(int)Switch.LongtermFastRetry] != 0;
        UffdWpMultiVma = values[(int)Switch.UffdWpMultiVma] != 0;
        ForkHugetlbCopyVmWrite = values[(int)Switch.ForkHugetlbCopyVmWrite] != 0;
        PageoutSkipsLargeFolio = values[(int)Switch.PageoutSkipsLargeFolio] != 0;
        HugeZeroSplitKeepsUffdWp = values[(int)Switch.HugeZeroSplitKeepsUffdWp] != 0;
        HugetlbUnshareKeepsUffdWp = values[(int)Switch.HugetlbUnshareKeepsUffdWp] != 0;
        UffdWpWritenotify = values[(int)Switch.UffdWpWritenotify] != 0;
        HugeZeroWpThp = values[(int)Switch.HugeZeroWpThp] != 0;
        PmdFlushDeferred = values[(int)Switch.PmdFlushDeferred] != 0;
        SwapinMapsWritable = values[(int)Switch.SwapinMapsWritable] != 0;
        HugetlbWpHonorsUffdWp = values[(int)Switch.HugetlbWpHonorsUffdWp] != 0;
        MprotectUnaccountsUnfaulted = values[(int)Switch.MprotectUnaccountsUnfaulted] != 0;
    }

    public string Name { get; }

    public BaseReuseRule BaseReuse { get; }
    public PmdThpRule PmdThpReuse { get; }
    public PteThpRule PteThpReuse { get; }
    public SwapinRule SwapinReuse { get; }
    public HugetlbRule HugetlbReuse { get; }
    public bool ReadGupBreaksCow { get; }
    public bool ForkCopiesPinned { get; }
    public bool ForkCopiesPinnedHugetlb { get; }
    public bool ClearRefsSkipsPinned { get; }
    public bool ClearRefsWriteLock { get; }
    public bool ClearRefsFlush { get; }
    public bool UffdWpFlushBeforeCopy { get; }
    public bool PinnedNotSwapcached { get; }
    public bool AnonExclusive { get; }
    public RoPinUnshareRule RoPinUnshare { get; }
    public bool OdirectFollPin { get; }
    public MprotectWritableRule MprotectWritable { get; }
    public bool UffdWpShmemHugetlb { get; }

    public bool UffdUnprotectPageProt { get; }

    public bool HugetlbDontneed { get; }

    public bool ForkClearsUffdWp { get; }

    public bool PtReclaim { get; }

    public bool HugetlbDontneedAlignDown { get; }

    public bool LongtermFastRetry { get; }

    public bool UffdWpMultiVma { get; }

    public bool ForkHugetlbCopyVmWrite { get; }

    public bool PageoutSkipsLargeFolio { get; }

    public bool HugeZeroSplitKeepsUffdWp { get; }

    public bool HugetlbUnshareKeepsUffdWp { get; }

    public bool UffdWpWritenotify { get; }

    public bool HugeZeroWpThp { get; }

    public bool PmdFlushDeferred { get; }

    public bool SwapinMapsWritable { get; }

    public bool HugetlbWpHonorsUffdWp { get; }

    public bool MprotectUnaccountsUnfaulted { get; }

    /// <summary>The value word of a switch, e.g. <c>page_count</c> or <c>true</c>.</summary>
    public string ValueOf(Switch s) => SwitchInfo.Get(s).Values[_values[(int)s]];

    /// <summary>Every switch with its value, in <see cref="SwitchInfo.All"/> order (for <c>fuzzfarm profiles</c>).</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Switches =>
        [.. SwitchInfo.All.Select(i => new KeyValuePair<string, string>(i.Name, ValueOf(i.Switch)))];

    public override string ToString() => Name;

    /// <summary>The named profiles, oldest first.</summary>
    public static IReadOnlyList<KernelProfile> Named { get; } = BuildNamed();

    /// <summary>Names accepted besides those of <see cref="Named"/>.</summary>
    public static IReadOnlyDictionary<string, string> Aliases { get; } =
        new Dictionary<string, string>(StringComparer.Ordinal) { ["latest"] = "v6.15" };

    /// <summary>Parses <c>name[+switch=value]...</c>; throws <see cref="ProfileException"/> with a one-line message.</summary>
    public static KernelProfile Parse(string text)
    {
        if (TryParse(text, out var profile, out var error))
        {
            return profile;
        }
        throw new ProfileException(error);
    }

    public static bool TryParse(string? text, out KernelProfile profile, out string error)
    {
        profile = null!;
        error = "";
        if (string.IsNullOrWhiteSpace(text))
        {
            error = $"empty profile name; valid profiles: {NamedList()}";
            return false;
        }
        var parts = text.Trim().Split('+');
        var baseName = Aliases.TryGetValue(parts[0], out var real) ? real : parts[0];
        var named = Named.FirstOrDefault(p => p.Name == baseName);
        if (named is null)
        {
            error = $"unknown profile '{parts[0]}'; valid profiles: {NamedList()}";
            return false;
        }
        if (parts.Length == 1)
        {
            profile = named;
            return true;
        }
        var values = (int[])named._values.Clone();
        for (var i = 1; i < parts.Length; i++)
        {
            var eq = parts[i].IndexOf('=', StringComparison.Ordinal);
            var sw = eq < 0 ? parts[i] : parts[i][..eq];
            var info = SwitchInfo.All.FirstOrDefault(s => s.Name == sw);
            if (info is null)
            {
                error = $"unknown switch '{sw}' in profile '{text}'; valid switches: {string.Join(", ", SwitchInfo.All.Select(s => s.Name))}";
                return false;
            }
            var word = eq < 0 ? "" : parts[i][(eq + 1)..];
            var index = info.Values.IndexOf(word);
            if (index < 0)
            {
                error = eq < 0
                    ? $"switch '{sw}' in profile '{text}' needs a value: {sw}=<{string.Join("|", info.Values)}>"
                    : $"bad value '{word}' for switch '{sw}' in profile '{text}'; valid values: {string.Join(", ", info.Values)}";
                return false;
            }
            values[(int)info.Switch] = index;
        }
        // FAULT_FLAG_UNSHARE exists to make a page anon-exclusive, and GUP retries until it is: without the flag the
        // retry could never end, and no kernel had one without the other.
        if (values[(int)Switch.RoPinUnshare] != (int)RoPinUnshareRule.None && values[(int)Switch.AnonExclusive] == 0)
        {
            var unshare = SwitchInfo.Get(Switch.RoPinUnshare).Values[values[(int)Switch.RoPinUnshare]];
            error = $"profile '{text}': ro_pin_unshare={unshare} needs anon_exclusive=true; add +anon_exclusive=true or +ro_pin_unshare=none";
            return false;
        }
        var name = new StringBuilder(named.Name);
        for (var i = 1; i < parts.Length; i++)
        {
            name.Append('+').Append(parts[i]);
        }
        profile = new KernelProfile(name.ToString(), values);
        return true;
    }

    private static string NamedList() => string.Join(", ", Named.Select(p => p.Name)) + " (alias latest = v6.15)";

    private static ImmutableArray<KernelProfile> BuildNamed()
    {
        var list = new List<KernelProfile>();
        var v = new int[SwitchInfo.All.Length];
        void Add(string name, params (Switch S, int V)[] changes)
        {
            foreach (var (s, value) in changes)
            {
                v[(int)s] = value;
            }
            list.Add(new KernelProfile(name, (int[])v.Clone()));
        }
        const int T = 1, F = 0;
        // Row A: mapcount everywhere, nothing pinned-aware.
        Add("v5.7");
        // Row B: read GUP breaks COW; THP COW splits instead of copying.
        Add("v5.8", (Switch.ReadGupBreaksCow, T), (Switch.PmdThpReuse, (int)PmdThpRule.MapcountSplit));
        // Row B': page_count for base pages, forced COW reverted.
        Add("v5.9-rc4", (Switch.ReadGupBreaksCow, F), (Switch.BaseReuse, (int)BaseReuseRule.PageCount),
            (Switch.PteThpReuse, (int)PteThpRule.PageCount));
        // Row C: fork copies pinned pages.
        Add("v5.9", (Switch.ForkCopiesPinned, T));
        // Row D: clear_refs skips pinned PTEs under the write lock; pinned pages stay out of swapcache.
        Add("v5.11", (Switch.ClearRefsSkipsPinned, T), (Switch.ClearRefsWriteLock, T), (Switch.PinnedNotSwapcached, T));
        // Row E: the TLB flush fixes, hugetlb early COW.
        Add("v5.12", (Switch.ClearRefsFlush, T), (Switch.UffdWpFlushBeforeCopy, T), (Switch.ForkCopiesPinnedHugetlb, T));
        // Row F: COW fixes part 1, page_count for THP and swap-in; MADV_DONTNEED of hugetlb mappings; fork's uffd-wp
        // fix for swap entries (5.14).
        Add("v5.18", (Switch.BaseReuse, (int)BaseReuseRule.PageCountFreeSwap), (Switch.PmdThpReuse, (int)PmdThpRule.PageCountSplit),
            (Switch.SwapinReuse, (int)SwapinRule.PageCount), (Switch.HugetlbDontneed, T), (Switch.ForkClearsUffdWp, T));
        // Row G: COW fixes part 2, PageAnonExclusive and R/O pin unsharing; uffd-wp on shmem and hugetlb (b1f9e876862d);
        // change_protection on mmu_gather, which also flushes PMDs (4a18419f71cd, 4f83145721f3).
        Add("v5.19", (Switch.AnonExclusive, T), (Switch.RoPinUnshare, (int)RoPinUnshareRule.Anon), (Switch.UffdWpShmemHugetlb, T),
            (Switch.PmdFlushDeferred, T));
        // Row H: mprotect maps exclusive anon pages writable.
        Add("v6.0", (Switch.MprotectWritable, (int)MprotectWritableRule.ExclusiveDirty));
        // Row I: R/O long-term pins also unshare the zero page; mprotect maps clean exclusive PTEs and PMDs writable
        // (#24, with can_change_pmd_writable: both in the savedwrite series merged for 6.2); hugetlb MADV_DONTNEED
        // rounds its end down (6.1); uffd-wp VMAs get write-notify (6.2).
        Add("v6.2", (Switch.RoPinUnshare, (int)RoPinUnshareRule.AnonAndLongtermCow),
            (Switch.MprotectWritable, (int)MprotectWritableRule.Exclusive), (Switch.HugetlbDontneedAlignDown, T),
            (Switch.UffdWpWritenotify, T));
        // Row J: PTE-mapped THP reuse; O_DIRECT on FOLL_PIN (landed between 6.3 and 6.5); uffd-wp unprotect by
        // vm_page_prot (6.3); FOLL_LONGTERM GUP-fast's fallback may retry faults (6.3); uffd-wp over several VMAs (6.4);
        // empty PTE tables freed by MADV_DONTNEED (6.14, x86-64); fork's hugetlb copy honours VM_WRITE (6.14); pageout
        // skips large folios it cannot split (6.10); the uffd-wp bit survives a huge zero PMD split (6.3) and hugetlb's
        // unshare copy (6.4); a write to the huge zero PMD maps a THP (6.13); a read fault's swap-in maps an exclusive
        // page writable (6.11); hugetlb_wp leaves a uffd-wp entry to the handler (6.3); mprotect uncharges unfaulted
        // read-only memory (6.6).
        Add("v6.15", (Switch.PteThpReuse, (int)PteThpRule.MmOwner), (Switch.OdirectFollPin, T), (Switch.UffdUnprotectPageProt, T),
            (Switch.LongtermFastRetry, T), (Switch.UffdWpMultiVma, T), (Switch.PtReclaim, T), (Switch.ForkHugetlbCopyVmWrite, T),
            (Switch.PageoutSkipsLargeFolio, T), (Switch.HugeZeroSplitKeepsUffdWp, T), (Switch.HugetlbUnshareKeepsUffdWp, T),
            (Switch.HugeZeroWpThp, T), (Switch.SwapinMapsWritable, T), (Switch.HugetlbWpHonorsUffdWp, T),
            (Switch.MprotectUnaccountsUnfaulted, T));
        return [.. list];
    }
}
