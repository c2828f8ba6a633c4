using System.Collections.Immutable;

namespace FuzzFarm.Machine;

/// <summary>The spelling of a switch and of its values, as users write them after <c>+</c> in a profile.</summary>
public sealed record SwitchInfo(Switch Switch, string Name, ImmutableArray<string> Values, string Meaning)
{
    private static readonly ImmutableArray<string> Bool = ["false", "true"];

    public static ImmutableArray<SwitchInfo> All { get; } =
    [
        new(Machine.Switch.BaseReuse, "base_reuse", ["mapcount", "page_count", "page_count_free_swap"],
            "base-page write fault: reuse rule"),
        new(Machine.Switch.PmdThpReuse, "pmd_thp_reuse", ["mapcount_copy", "mapcount_split", "page_count_split"],
            "PMD-mapped THP write fault: reuse rule and fallback"),
        new(Machine.Switch.PteThpReuse, "pte_thp_reuse", ["mapcount", "page_count", "mm_owner"],
            "PTE-mapped THP subpage write fault: reuse rule"),
        new(Machine.Switch.SwapinReuse, "swapin_reuse", ["mapcount", "page_count"], "swap-in write fault: reuse rule"),
        new(Machine.Switch.HugetlbReuse, "hugetlb_reuse", ["mapcount", "page_count"], "hugetlb write fault: reuse rule"),
        new(Machine.Switch.ReadGupBreaksCow, "read_gup_breaks_cow", Bool, "FOLL_GET/FOLL_PIN on a COW mapping forces FOLL_WRITE"),
        new(Machine.Switch.ForkCopiesPinned, "fork_copies_pinned", Bool, "fork copies maybe-pinned anon pages for the child"),
        new(Machine.Switch.ForkCopiesPinnedHugetlb, "fork_copies_pinned_hugetlb", Bool, "fork copies maybe-pinned hugetlb pages"),
        new(Machine.Switch.ClearRefsSkipsPinned, "clear_refs_skips_pinned", Bool, "clear_refs leaves writable maybe-pinned PTEs"),
        new(Machine.Switch.ClearRefsWriteLock, "clear_refs_write_lock", Bool, "clear_refs holds the mmap lock for write"),
        new(Machine.Switch.ClearRefsFlush, "clear_refs_flush", Bool, "clear_refs flushes the TLB after write-protecting"),
        new(Machine.Switch.UffdWpFlushBeforeCopy, "uffd_wp_flush_before_copy", Bool,
            "do_wp_page flushes a pending TLB flush on a uffd-wp VMA before copying"),
        new(Machine.Switch.PinnedNotSwapcached, "pinned_not_swapcached", Bool, "reclaim skips maybe-pinned pages"),
        new(Machine.Switch.AnonExclusive, "anon_exclusive", Bool, "PageAnonExclusive: exclusive pages are always reused"),
        new(Machine.Switch.RoPinUnshare, "ro_pin_unshare", ["none", "anon", "anon_and_longterm_cow"],
            "R/O FOLL_PIN unshares shared pages first"),
        new(Machine.Switch.OdirectFollPin, "odirect_foll_pin", Bool, "O_DIRECT takes FOLL_PIN instead of FOLL_GET"),
        new(Machine.Switch.MprotectWritable, "mprotect_writable", ["never", "exclusive_dirty", "exclusive"],
            "change_protection maps exclusive anon PTEs (dirty only), or also clean PTEs and PMDs, writable at once"),
        new(Machine.Switch.UffdWpShmemHugetlb, "uffd_wp_shmem_hugetlb", Bool,
            "userfaultfd write-protect mode can register shared (shmem) and hugetlb mappings"),
        new(Machine.Switch.UffdUnprotectPageProt, "uffd_unprotect_page_prot", Bool,
            "uffd-wp unprotect keeps soft-dirty write-notify and upgrades exclusive anon PTEs as mprotect does"),
        new(Machine.Switch.HugetlbDontneed, "hugetlb_dontneed", Bool, "madvise(dontneed) accepts hugetlb mappings"),
        new(Machine.Switch.ForkClearsUffdWp, "fork_clears_uffd_wp", Bool,
            "fork drops the uffd-wp bit of the entries it copies for the child by the child's VMA (the parent's before)"),
        new(Machine.Switch.PtReclaim, "pt_reclaim", Bool,
            "madvise(dontneed) of a PTE table's whole 2M frees the emptied table (so the range may fault a THP again)"),
        new(Machine.Switch.HugetlbDontneedAlignDown, "hugetlb_dontneed_align_down", Bool,
            "madvise(dontneed) of a hugetlb mapping rounds its end down to whole huge pages (up before)"),
        new(Machine.Switch.LongtermFastRetry, "longterm_fast_retry", Bool,
            "a fast long-term pin's fault may retry, so a userfaultfd fault waits (EFAULT before)"),
        new(Machine.Switch.UffdWpMultiVma, "uffd_wp_multi_vma", Bool,
            "uffd_wp (un)protects every registered VMA of its range, skipping holes (one VMA only before)"),
        new(Machine.Switch.ForkHugetlbCopyVmWrite, "fork_hugetlb_copy_vm_write", Bool,
            "fork's copy of a maybe-pinned hugetlb page is writable only where the VMA allows writes (always before)"),
        new(Machine.Switch.PageoutSkipsLargeFolio, "pageout_skips_large_folio", Bool,
            "madvise(pageout) skips a shared or unsplittable PTE-mapped THP and goes on (stops at it before)"),
        new(Machine.Switch.HugeZeroSplitKeepsUffdWp, "huge_zero_split_keeps_uffd_wp", Bool,
            "a split of a write-protected huge zero PMD keeps the uffd-wp bit on its PTEs (drops it before)"),
        new(Machine.Switch.HugetlbUnshareKeepsUffdWp, "hugetlb_unshare_keeps_uffd_wp", Bool,
            "hugetlb's unshare copy keeps the uffd-wp bit (drops it before)"),
        new(Machine.Switch.UffdWpWritenotify, "uffd_wp_writenotify", Bool,
            "mprotect leaves uffd-wp protected shared PTEs read-only (makes them writable before)"),
        new(Machine.Switch.HugeZeroWpThp, "huge_zero_wp_thp", Bool,
            "a write or unshare fault on the huge zero PMD maps a new THP (splits it before, 5.7 aside)"),
        new(Machine.Switch.PmdFlushDeferred, "pmd_flush_deferred", Bool,
            "mprotect and uffd-wp flush a THP PMD with their PTEs at the end of the call (at once before)"),
        new(Machine.Switch.SwapinMapsWritable, "swapin_maps_writable", Bool,
            "a read fault's swap-in maps an exclusive page writable where nothing needs the write fault (read-only before)"),
        new(Machine.Switch.HugetlbWpHonorsUffdWp, "hugetlb_wp_honors_uffd_wp", Bool,
            "a private hugetlb write fault on a uffd-wp marker goes to the handler (maps the page writable before)"),
        new(Machine.Switch.MprotectUnaccountsUnfaulted, "mprotect_unaccounts_unfaulted", Bool,
            "mprotect to read-only uncharges (VM_ACCOUNT) memory that never faulted a private page (charged for good before)"),
    ];

    public static SwitchInfo Get(Switch s) => All[(int)s];
}
