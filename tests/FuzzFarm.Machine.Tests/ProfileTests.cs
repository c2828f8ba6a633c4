using Xunit;

namespace FuzzFarm.Machine.Tests;

public class ProfileTests
{
    [Fact]
    public void NamedProfilesAreOldestFirst()
    {
        Assert.Equal(["v5.7", "v5.8", "v5.9-rc4", "v5.9", "v5.11", "v5.12", "v5.18", "v5.19", "v6.0", "v6.2", "v6.15"],
            KernelProfile.Named.Select(p => p.Name));
    }

    [Fact]
    public void LatestIsAnAliasOfV615()
    {
        Assert.Same(KernelProfile.Named[^1], KernelProfile.Parse("latest"));
    }

    [Theory]
    [InlineData("v5.7", "base_reuse", "mapcount")]
    [InlineData("v5.8", "read_gup_breaks_cow", "true")]
    [InlineData("v5.9-rc4", "base_reuse", "page_count")]
    [InlineData("v5.9-rc4", "fork_copies_pinned", "false")]
    [InlineData("v5.9", "fork_copies_pinned", "true")]
    [InlineData("v5.9", "read_gup_breaks_cow", "false")]
    [InlineData("v5.11", "clear_refs_skips_pinned", "true")]
    [InlineData("v5.11", "clear_refs_flush", "false")]
    [InlineData("v5.12", "uffd_wp_flush_before_copy", "true")]
    [InlineData("v5.12", "pmd_thp_reuse", "mapcount_split")]
    [InlineData("v5.18", "pmd_thp_reuse", "page_count_split")]
    [InlineData("v5.18", "swapin_reuse", "page_count")]
    [InlineData("v5.19", "anon_exclusive", "true")]
    [InlineData("v5.19", "ro_pin_unshare", "anon")]
    [InlineData("v6.2", "ro_pin_unshare", "anon_and_longterm_cow")]
    [InlineData("v6.15", "pte_thp_reuse", "mm_owner")]
    [InlineData("v6.15", "odirect_foll_pin", "true")]
    [InlineData("v6.15", "hugetlb_reuse", "mapcount")]
    [InlineData("v5.18", "uffd_wp_shmem_hugetlb", "false")]
    [InlineData("v5.19", "uffd_wp_shmem_hugetlb", "true")]
    [InlineData("v6.2", "uffd_unprotect_page_prot", "false")]
    [InlineData("v6.15", "uffd_unprotect_page_prot", "true")]
    [InlineData("v5.12", "hugetlb_dontneed", "false")]
    [InlineData("v5.18", "hugetlb_dontneed", "true")]
    [InlineData("v5.12", "fork_clears_uffd_wp", "false")]
    [InlineData("v5.18", "fork_clears_uffd_wp", "true")]
    [InlineData("v6.2", "pt_reclaim", "false")]
    [InlineData("v6.15", "pt_reclaim", "true")]
    [InlineData("v6.0", "hugetlb_dontneed_align_down", "false")]
    [InlineData("v6.2", "hugetlb_dontneed_align_down", "true")]
    [InlineData("v6.2", "longterm_fast_retry", "false")]
    [InlineData("v6.15", "longterm_fast_retry", "true")]
    [InlineData("v6.2", "uffd_wp_multi_vma", "false")]
    [InlineData("v6.15", "uffd_wp_multi_vma", "true")]
    [InlineData("v6.2", "fork_hugetlb_copy_vm_write", "false")]
    [InlineData("v6.15", "fork_hugetlb_copy_vm_write", "true")]
    [InlineData("v6.2", "pageout_skips_large_folio", "false")]
    [InlineData("v6.15", "pageout_skips_large_folio", "true")]
    [InlineData("v6.2", "huge_zero_split_keeps_uffd_wp", "false")]
    [InlineData("v6.15", "huge_zero_split_keeps_uffd_wp", "true")]
    [InlineData("v6.2", "hugetlb_unshare_keeps_uffd_wp", "false")]
    [InlineData("v6.15", "hugetlb_unshare_keeps_uffd_wp", "true")]
    [InlineData("v6.0", "uffd_wp_writenotify", "false")]
    [InlineData("v6.2", "uffd_wp_writenotify", "true")]
    [InlineData("v6.2", "huge_zero_wp_thp", "false")]
    [InlineData("v6.15", "huge_zero_wp_thp", "true")]
    [InlineData("v5.18", "pmd_flush_deferred", "false")]
    [InlineData("v5.19", "pmd_flush_deferred", "true")]
    [InlineData("v6.2", "swapin_maps_writable", "false")]
    [InlineData("v6.15", "swapin_maps_writable", "true")]
    [InlineData("v6.2", "hugetlb_wp_honors_uffd_wp", "false")]
    [InlineData("v6.15", "hugetlb_wp_honors_uffd_wp", "true")]
    [InlineData("v6.2", "mprotect_unaccounts_unfaulted", "false")]
    [InlineData("v6.15", "mprotect_unaccounts_unfaulted", "true")]
    public void NamedProfilesFollowTheMatrix(string profile, string sw, string value)
    {
        Assert.Contains(new KeyValuePair<string, string>(sw, value), KernelProfile.Parse(profile).Switches);
    }

    [Fact]
    public void EveryProfileListsEverySwitch()
    {
        foreach (var p in KernelProfile.Named)
        {
            Assert.Equal(SwitchInfo.All.Select(s => s.Name), p.Switches.Select(s => s.Key));
        }
    }

    [Fact]
    public void DerivedProfileOverridesOnlyItsSwitches()
    {
        var derived = KernelProfile.Parse("v5.9+fork_copies_pinned=false+base_reuse=mapcount");
        var v59 = KernelProfile.Parse("v5.9");
        Assert.Equal("v5.9+fork_copies_pinned=false+base_reuse=mapcount", derived.Name);
        Assert.False(derived.ForkCopiesPinned);
        Assert.Equal(BaseReuseRule.Mapcount, derived.BaseReuse);
        foreach (var (s, i) in SwitchInfo.All.Select((s, i) => (s, i)))
        {
            if (s.Switch is not (Switch.ForkCopiesPinned or Switch.BaseReuse))
            {
                Assert.Equal(v59.ValueOf(s.Switch), derived.ValueOf(s.Switch));
            }
        }
    }

    [Theory]
    [InlineData("v5.10", "unknown profile 'v5.10'; valid profiles: v5.7, v5.8, v5.9-rc4")]
    [InlineData("", "empty profile name; valid profiles: v5.7")]
    [InlineData("v5.9+fork_copies=false", "unknown switch 'fork_copies' in profile 'v5.9+fork_copies=false'; valid switches: base_reuse, ")]
    [InlineData("v5.9+fork_copies_pinned=maybe", "bad value 'maybe' for switch 'fork_copies_pinned' in profile 'v5.9+fork_copies_pinned=maybe'; valid values: false, true")]
    [InlineData("v5.9+base_reuse", "switch 'base_reuse' in profile 'v5.9+base_reuse' needs a value: base_reuse=<mapcount|page_count|page_count_free_swap>")]
    [InlineData("latest+", "unknown switch '' in profile 'latest+'")]
    // GUP retries an unshare until the page is anon-exclusive: without the flag it never could be.
    [InlineData("v5.19+anon_exclusive=false", "profile 'v5.19+anon_exclusive=false': ro_pin_unshare=anon needs anon_exclusive=true")]
    [InlineData("v5.18+ro_pin_unshare=anon_and_longterm_cow", "profile 'v5.18+ro_pin_unshare=anon_and_longterm_cow': ro_pin_unshare=anon_and_longterm_cow needs anon_exclusive=true")]
    public void BadProfilesGiveOneLineErrorsNamingTheBadPart(string text, string messageStart)
    {
        var e = Assert.Throws<ProfileException>(() => KernelProfile.Parse(text));
        Assert.StartsWith(messageStart, e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', e.Message);
        Assert.False(KernelProfile.TryParse(text, out _, out var error));
        Assert.Equal(e.Message, error);
    }
}
