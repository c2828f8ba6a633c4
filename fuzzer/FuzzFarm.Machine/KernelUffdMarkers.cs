namespace FuzzFarm.Machine;

/// <summary>
/// uffd-wp PTE markers (5.19+, with shmem and hugetlb registration): the protection of an entry that maps nothing
/// in file-backed memory, where the page may exist in the object all the same. change_protection leaves a marker in
/// each empty entry of the range, a fault there maps the page write-protected, MADV_DONTNEED and reclaim keep it, and
/// munmap and exit drop it. Anonymous memory never gets one.
/// </summary>
internal sealed partial class Kernel
{
    /// <summary>Whether uffd-wp leaves markers in this VMA's empty entries (shmem or hugetlb; registrable from 5.19).</summary>
    private bool TakesMarkers(Vma vma) => Profile.UffdWpShmemHugetlb && (vma.Shared || vma.Hugetlb);

    /// <summary>
    /// change_protection's part for empty entries of [start, end) in a VMA that takes markers: protecting leaves a
    /// marker in each, allocating the page table first (change_pmd_prepare); unprotecting clears them.
    /// </summary>
    private void MarkEmptyEntries(Process p, Vma vma, ulong start, ulong end, bool on)
    {
        var pmdMask = (ulong)Geometry.PmdSize - 1;
        for (var pmd = start & ~pmdMask; pmd < end; pmd += (ulong)Geometry.PmdSize)
        {
            var table = on ? GetTable(p, pmd) : p.Table(pmd);
            if (table is null || table.Huge is not null)
            {
                continue;
            }
            if (vma.Hugetlb)
            {
                // One huge entry per 2M; its flags hold the marker while Huge is null.
                table.HugeFlags = on ? PteFlags.UffdWp : PteFlags.None;
                continue;
            }
            var first = Math.Max(start, pmd);
            var last = Math.Min(end, pmd + (ulong)Geometry.PmdSize);
            for (var a = first; a < last; a += Geometry.PageSize)
            {
                var i = PteIndex(a);
                if (on && table.Peek(i).IsNone)
                {
                    table.At(i).Flags = PteFlags.UffdWp;
                }
                else if (!on && table.Peek(i).IsUffdWpMarker)
                {
                    table.At(i) = default;
                }
            }
        }
    }

    /// <summary>
    /// The flags a fault maps a page with where the entry was a marker: write-protected with the uffd-wp bit, so a
    /// write goes to the handler (do_set_pte and hugetlb_no_page). A marker left in a VMA no longer registered is
    /// dropped (pte_marker_handle_uffd_wp).
    /// </summary>
    private PteFlags ThroughMarker(Vma vma, PteFlags marker, PteFlags flags, Folio f)
    {
        if ((marker & PteFlags.UffdWp) == 0 || !vma.UffdWp)
        {
            return flags;
        }
        Coverage.Hit(CovPoint.UffdWpMarker, f, 0, f.Hugetlb);
        return (flags & ~PteFlags.Write) | PteFlags.UffdWp;
    }
}
