namespace FuzzFarm.Machine;

/// <summary>Base-page write-fault reuse rule.</summary>
public enum BaseReuseRule
{
    /// <summary>≤5.8: reuse_swap_page(), mapcount + swapcount ≤ 1.</summary>
    Mapcount,
    /// <summary>5.9–5.17: reuse iff page_count == 1 (a swapcache reference forces a copy).</summary>
    PageCount,
    /// <summary>5.18+: page_count ≤ 1 + swapcache, free the swap slot, then page_count == 1.</summary>
    PageCountFreeSwap,
}

/// <summary>PMD-mapped THP write-fault rule.</summary>
public enum PmdThpRule
{
    /// <summary>5.7: reuse by mapcount, else allocate a new THP and copy it.</summary>
    MapcountCopy,
    /// <summary>5.8–5.17: reuse by mapcount, else split the PMD and COW per PTE.</summary>
    MapcountSplit,
    /// <summary>5.18+: reuse iff page_count == 1, else split.</summary>
    PageCountSplit,
}

/// <summary>Write-fault rule for a subpage of a PTE-mapped THP (after the anon-exclusive check, where enabled).</summary>
public enum PteThpRule
{
    /// <summary>≤5.8: page_trans_huge_map_swapcount() ≤ 1.</summary>
    Mapcount,
    /// <summary>
    /// 5.9–6.14: the folio's page_count must be 1 (every PTE holds a reference): copy in practice, but a folio left with
    /// one PTE and no other reference is reused, as do_wp_page did until cd197c3a2040 (6.9) rejected every large folio.
    /// The machine keeps the reuse for all of them (kernel-history.md row I says copy, without that case).
    /// </summary>
    PageCount,
    /// <summary>6.15+: reuse if only this MM maps the folio and every reference is a mapping reference.</summary>
    MmOwner,
}

/// <summary>Swap-in write-fault rule.</summary>
public enum SwapinRule
{
    /// <summary>≤5.17: reuse_swap_page(), mapcount + swapcount ≤ 1.</summary>
    Mapcount,
    /// <summary>5.18+: writable only if page_count == 1 (or, with anon-exclusive, the swap PTE's exclusive bit).</summary>
    PageCount,
}

/// <summary>hugetlb write-fault rule.</summary>
public enum HugetlbRule
{
    /// <summary>Every release: reuse iff mapcount == 1 and anon.</summary>
    Mapcount,
    /// <summary>Not upstream: a page_count rule, for trying a fix.</summary>
    PageCount,
}

/// <summary>Which R/O FOLL_PIN requests unshare first.</summary>
public enum RoPinUnshareRule
{
    None,
    /// <summary>5.19: non-exclusive anon pages.</summary>
    Anon,
    /// <summary>6.2: also non-anon pages (zero page) for FOLL_LONGTERM in COW mappings.</summary>
    AnonAndLongtermCow,
}

/// <summary>When change_protection may map an entry writable at once.</summary>
public enum MprotectWritableRule
{
    Never,
    /// <summary>6.0–6.1: a PTE (can_change_pte_writable) of an exclusive anon page, dirty, no soft-dirty tracking need, no uffd-wp.</summary>
    ExclusiveDirty,
    /// <summary>
    /// 6.2: clean PTEs too (Nadav Amit's "allow clean exclusive anon pages to be writable"), and PMDs by the same rule
    /// (can_change_pmd_writable); one series, "mm/autonuma: replace savedwrite infrastructure".
    /// </summary>
    Exclusive,
}
