namespace FuzzFarm.Machine;

/// <summary>
/// The named policy switches of a kernel profile: the columns of kernel-history.md §1.1. Each switch takes one of a
/// few word values; boolean switches take <c>false</c>/<c>true</c>. The numeric values are not part of any format.
/// </summary>
public enum Switch
{
    /// <summary>Base-page write fault on a R/O anon PTE.</summary>
    BaseReuse,
    /// <summary>Write fault on a PMD-mapped THP.</summary>
    PmdThpReuse,
    /// <summary>Write fault on a subpage of a PTE-mapped THP.</summary>
    PteThpReuse,
    /// <summary>Write fault that swaps a page in.</summary>
    SwapinReuse,
    /// <summary>Write fault on a hugetlb page.</summary>
    HugetlbReuse,
    /// <summary>5.8: FOLL_GET/FOLL_PIN on a COW mapping forces FOLL_WRITE (17839856fd58).</summary>
    ReadGupBreaksCow,
    /// <summary>5.9-rc7: fork gives the child a copy of maybe-pinned pages (70e806e4e645).</summary>
    ForkCopiesPinned,
    /// <summary>5.12: the same for hugetlb (4eae4efa2c29).</summary>
    ForkCopiesPinnedHugetlb,
    /// <summary>5.11: clear_refs leaves writable maybe-pinned PTEs alone (9348b73c2e1b).</summary>
    ClearRefsSkipsPinned,
    /// <summary>5.11: clear_refs holds the mmap lock for write (29a951dfb353).</summary>
    ClearRefsWriteLock,
    /// <summary>5.12: clear_refs flushes the TLB after write-protecting (Will Deacon's fix of 0758cd830494).</summary>
    ClearRefsFlush,
    /// <summary>5.12: do_wp_page flushes a pending uffd-wp TLB flush before copying (6ce64428d620).</summary>
    UffdWpFlushBeforeCopy,
    /// <summary>5.11: reclaim does not put maybe-pinned pages into the swapcache (feb889fb40fa).</summary>
    PinnedNotSwapcached,
    /// <summary>5.19: PageAnonExclusive (6c287605fd56).</summary>
    AnonExclusive,
    /// <summary>5.19 anon / 6.2 also non-anon long-term: R/O FOLL_PIN triggers FAULT_FLAG_UNSHARE.</summary>
    RoPinUnshare,
    /// <summary>~6.3–6.5: block O_DIRECT takes FOLL_PIN instead of FOLL_GET.</summary>
    OdirectFollPin,
    /// <summary>6.0: mprotect/uffd-unprotect may map exclusive anon pages writable at once (can_change_pte_writable).</summary>
    MprotectWritable,
    /// <summary>5.19: userfaultfd write-protect mode accepts shmem and hugetlb mappings (vma_can_userfault's FIXME gone).</summary>
    UffdWpShmemHugetlb,
    /// <summary>
    /// 6.3: UFFDIO_WRITEPROTECT off rebuilds PTEs from vma->vm_page_prot and upgrades them as mprotect does
    /// (931298e103c2); before, from vm_get_page_prot, which ignores write-notify and never upgrades a private PTE.
    /// </summary>
    UffdUnprotectPageProt,
    /// <summary>5.18: madvise(MADV_DONTNEED) accepts hugetlb mappings (90e7e7f5ef3f); before, EINVAL.</summary>
    HugetlbDontneed,
    /// <summary>
    /// 5.14: fork clears the uffd-wp bit of every entry it copies into a VMA not registered in the child (8f34f1eac382);
    /// before, it asked the parent's VMA, so the child's present PTEs and PMDs kept the bit where the parent's range was
    /// registered, and its swap entries kept it always: a registration in the child, or a swap-in, then met it.
    /// </summary>
    ForkClearsUffdWp,
    /// <summary>
    /// 6.14: madvise(MADV_DONTNEED) frees a PTE table it empties when it zaps the table's whole 2M (CONFIG_PT_RECLAIM);
    /// before, the table stays until munmap, and while it stays the range faults base pages, never a THP.
    /// </summary>
    PtReclaim,
    /// <summary>
    /// 6.1: madvise(MADV_DONTNEED) of a hugetlb mapping rounds the end down to whole huge pages (8ebe0a5eaaeb); 5.18
    /// rounded it up, so a 4K length freed the whole huge page.
    /// </summary>
    HugetlbDontneedAlignDown,
    /// <summary>
    /// 6.3: pin_user_pages_fast with FOLL_LONGTERM falls back to a GUP that may drop the mmap lock and retry a fault
    /// (FOLL_UNLOCKABLE), so a userfaultfd fault waits; before, __gup_longterm_unlocked took the lock and passed no
    /// `locked`, and handle_userfault failed the fault (VM_FAULT_SIGBUS, EFAULT).
    /// </summary>
    LongtermFastRetry,
    /// <summary>
    /// 6.4: UFFDIO_WRITEPROTECT walks every VMA of its range ("mm/userfaultfd: support WP on multiple VMAs"), skipping
    /// holes and stopping with ENOENT at an unregistered VMA; before, mwriteprotect_range's find_dst_vma wanted the
    /// range inside one registered VMA (ENOENT otherwise).
    /// </summary>
    UffdWpMultiVma,
    /// <summary>
    /// 6.14: fork's copy of a maybe-pinned hugetlb page is writable only in a VM_WRITE mapping ("mm/hugetlb: don't map
    /// folios writable without VM_WRITE when copying during fork()", fixing 4eae4efa2c29); before, make_huge_pte(..., 1)
    /// mapped it writable whatever the VMA allowed, so the child could write a read-only mapping.
    /// </summary>
    ForkHugetlbCopyVmWrite,
    /// <summary>
    /// 6.10: madvise(MADV_PAGEOUT) skips a PTE-mapped large folio it cannot split or that is mapped elsewhere and goes on
    /// with the next entries ("mm: madvise: Avoid split during MADV_PAGEOUT and MADV_COLD"); before, either ended the
    /// walk of that page table (madvise_cold_or_pageout_pte_range's `break`s).
    /// </summary>
    PageoutSkipsLargeFolio,
    /// <summary>
    /// 6.3: splitting a huge zero PMD carries its uffd-wp bit to the 512 PTEs (42b2af2c9b7e); before,
    /// __split_huge_zero_page_pmd built them from vm_page_prot and the rest of a protected PMD lost its protection.
    /// </summary>
    HugeZeroSplitKeepsUffdWp,
    /// <summary>
    /// 6.4: hugetlb_wp's unshare copy keeps the uffd-wp bit (0f230bc24b6e); before, make_huge_pte(..., !unshare) dropped
    /// it, so a read-only pin of a protected hugetlb page left the copy unprotected.
    /// </summary>
    HugetlbUnshareKeepsUffdWp,
    /// <summary>
    /// 6.2: a VMA registered for uffd-wp gets write-notify (51d3d5eb74ff), so mprotect keeps protected shared PTEs
    /// read-only; before, shmem and hugetlb (registrable from 5.19) took the write bit from a writable vm_page_prot
    /// and kept the uffd-wp bit beside it.
    /// </summary>
    UffdWpWritenotify,
    /// <summary>
    /// 6.13: a write or unshare fault on the huge zero PMD maps a new zeroed THP, writable where the VMA allows it and
    /// without the uffd-wp bit (1ced09e0331f, do_huge_zero_wp_pmd), and splits only if that allocation fails; from 5.8
    /// before, it split the PMD and the PTE fault copied one zero page.
    /// </summary>
    HugeZeroWpThp,
    /// <summary>
    /// 5.19: change_huge_pmd invalidates a THP's PMD without a flush (pmdp_invalidate_ad on x86, 4f83145721f3) and
    /// leaves it to the caller's mmu_gather (4a18419f71cd), so mprotect and uffd-wp flush a PMD when they flush their
    /// PTEs, at the end of the call; before, pmdp_invalidate flushed it at once. hugetlb flushes at once throughout.
    /// </summary>
    PmdFlushDeferred,
    /// <summary>
    /// 6.11: do_swap_page maps an exclusive page writable (clean) on a read fault too, where the VMA allows writes and
    /// neither uffd-wp nor soft-dirty tracking needs the write fault (c18160dba5ff, 20dfa5b7adc5); before, only a
    /// write fault mapped it writable.
    /// </summary>
    SwapinMapsWritable,
    /// <summary>
    /// 6.3: hugetlb_wp leaves a write-protected (uffd-wp) entry to the handler (60d5b473d61b), so a private write
    /// fault on a uffd-wp marker goes to the handler; before, hugetlb_no_page's own COW made the new page writable.
    /// </summary>
    HugetlbWpHonorsUffdWp,
    /// <summary>
    /// 6.6: mprotect making private memory read-only drops VM_ACCOUNT where no private page was ever faulted (no
    /// anon_vma), so it may merge with never-writable neighbours again; before, VM_ACCOUNT stayed once it was writable.
    /// </summary>
    MprotectUnaccountsUnfaulted,
}
