namespace FuzzFarm.Machine;

/// <summary>
/// Kernel decisions that give a process a translation or leave one stale. Each PTE, TLB entry and folio remembers
/// the decision that produced it, so the oracle can name the decision behind a violation. The text is the
/// <c>function: rule</c> part of a signature and must stay stable (no addresses, no counts).
/// </summary>
public enum Decision : byte
{
    None,
    AnonNew,
    ZeroMap,
    ThpNew,
    HugetlbNew,
    ShmemMap,
    WpReuseMapcount,
    WpReusePageCount,
    WpReuseExclusive,
    WpReuseMmOwner,
    WpCopyMapcount,
    WpCopyPageCount,
    WpCopyZero,
    WpShared,
    PmdReuseMapcount,
    PmdReusePageCount,
    PmdReuseExclusive,
    PmdCopyThp,
    SwapReuseMapcount,
    SwapReusePageCount,
    SwapReuseExclusive,
    SwapMapReadOnly,
    HugetlbReuseMapcount,
    HugetlbReusePageCount,
    HugetlbCopy,
    ForkShare,
    ForkCopyPinned,
    UnshareCopy,
    UnshareReuse,
    MprotectWritable,
    ClearRefsNoFlush,
    ClearRefsFlushPending,
    UffdWpFlushDeferred,
    MprotectFlushPending,
    ForcedCowGup,
    HugeZeroMap,
    PmdCopyHugeZero,
    MprotectWritableShared,
    ForkShareHuge,
    ForkShareHugetlb,
    ForkCopyPinnedHugetlb,
    WpCopyMmOwner,
    HugetlbReuseExclusive,
    PmdCopyFallback,
    /// <summary>Reclaim cleared a shmem PTE: the entry left is none, and its soft-dirty bit went with it.</summary>
    ShmemPageout,
    /// <summary>MADV_DONTNEED cleared a shmem PTE: the page stays the object's, its soft-dirty bit went with the entry.</summary>
    ShmemZap,
}

public static class DecisionText
{
    /// <summary>
    /// Decisions taken on a PMD-mapped THP (or the huge zero page). A THP split since still carries them in its PTEs,
    /// and a folio split in the base pages it made; a signature names the page as the decision saw it.
    /// </summary>
    public static bool OnPmd(Decision d) => d is Decision.ThpNew or Decision.PmdReuseMapcount or Decision.PmdReusePageCount
        or Decision.PmdReuseExclusive or Decision.PmdCopyThp or Decision.PmdCopyHugeZero or Decision.HugeZeroMap
        or Decision.ForkShareHuge;

    /// <summary>The decisions do_swap_page takes on a page it found through a swap entry.</summary>
    public static bool OnSwapEntry(Decision d) => d is Decision.SwapReuseMapcount or Decision.SwapReusePageCount
        or Decision.SwapReuseExclusive or Decision.SwapMapReadOnly;

    public static string Of(Decision d) => d switch
    {
        Decision.AnonNew => "do_anonymous_page: new page",
        Decision.ZeroMap => "do_anonymous_page: zero page",
        Decision.ThpNew => "do_huge_pmd_anonymous_page: new THP",
        Decision.HugetlbNew => "hugetlb_no_page: new page",
        Decision.ShmemMap => "do_shared_fault: page cache",
        Decision.WpReuseMapcount => "do_wp_page: reuse by mapcount",
        Decision.WpReusePageCount => "do_wp_page: reuse by page_count",
        Decision.WpReuseExclusive => "do_wp_page: reuse anon-exclusive",
        Decision.WpReuseMmOwner => "do_wp_page: reuse by mm ownership",
        Decision.WpCopyMapcount => "do_wp_page: copy by mapcount",
        Decision.WpCopyPageCount => "do_wp_page: copy by page_count",
        Decision.WpCopyZero => "do_wp_page: copy of zero page",
        Decision.WpShared => "do_wp_page: shared mapping",
        Decision.PmdReuseMapcount => "do_huge_pmd_wp_page: reuse by mapcount",
        Decision.PmdReusePageCount => "do_huge_pmd_wp_page: reuse by page_count",
        Decision.PmdReuseExclusive => "do_huge_pmd_wp_page: reuse anon-exclusive",
        Decision.PmdCopyThp => "do_huge_pmd_wp_page: copy THP",
        Decision.SwapReuseMapcount => "do_swap_page: reuse by mapcount+swapcount",
        Decision.SwapReusePageCount => "do_swap_page: reuse by page_count",
        Decision.SwapReuseExclusive => "do_swap_page: reuse exclusive swap entry",
        Decision.SwapMapReadOnly => "do_swap_page: map read-only",
        Decision.HugetlbReuseMapcount => "hugetlb_wp: reuse by mapcount",
        Decision.HugetlbReusePageCount => "hugetlb_wp: reuse by page_count",
        Decision.HugetlbCopy => "hugetlb_wp: copy",
        Decision.ForkShare => "copy_present_pte: share with child",
        Decision.ForkCopyPinned => "copy_present_page: copy pinned page for child",
        Decision.UnshareCopy => "unshare: copy",
        Decision.UnshareReuse => "unshare: reuse",
        Decision.MprotectWritable => "change_protection: writable exclusive page",
        Decision.ClearRefsNoFlush => "clear_refs: no TLB flush",
        Decision.ClearRefsFlushPending => "clear_refs: TLB flush pending",
        Decision.UffdWpFlushDeferred => "uffd_wp: deferred TLB flush",
        Decision.MprotectFlushPending => "mprotect: TLB flush pending",
        Decision.ForcedCowGup => "gup: read GUP forced write",
        Decision.HugeZeroMap => "do_huge_pmd_anonymous_page: huge zero page",
        Decision.PmdCopyHugeZero => "do_huge_pmd_wp_page: copy of huge zero page",
        Decision.MprotectWritableShared => "change_protection: writable shared page",
        Decision.ForkShareHuge => "copy_huge_pmd: share with child",
        Decision.ForkShareHugetlb => "copy_hugetlb_page_range: share with child",
        Decision.ForkCopyPinnedHugetlb => "copy_hugetlb_page_range: copy pinned page for child",
        Decision.WpCopyMmOwner => "do_wp_page: copy by mm ownership",
        Decision.HugetlbReuseExclusive => "hugetlb_wp: reuse anon-exclusive",
        Decision.PmdCopyFallback => "do_huge_pmd_wp_page_fallback: copy to base pages",
        Decision.ShmemPageout => "try_to_unmap_one: shmem PTE cleared",
        Decision.ShmemZap => "zap_pte_range: shmem PTE cleared",
        _ => "none",
    };
}
