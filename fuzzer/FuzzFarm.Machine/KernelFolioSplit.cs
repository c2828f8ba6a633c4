namespace FuzzFarm.Machine;

/// <summary>split_folio of an anonymous THP (the pageout path; deferred splits under memory pressure are not modelled).</summary>
internal sealed partial class Kernel
{
    /// <summary>
    /// Splits <paramref name="f"/>, which only <paramref name="table"/> maps and nothing else references: a PMD mapping
    /// is split first, then each mapped subpage becomes a base page that takes over its contents, its PageAnonExclusive
    /// bit and its PTE (flags and grant unchanged); the large folio is freed. The kernel remaps through migration
    /// entries, so the TLBs of the range are flushed.
    /// </summary>
    private void SplitFolio(Process p, PteTable table, Folio f)
    {
        if (table.Huge == f)
        {
            SplitPmd(p, table);
        }
        Coverage.Hit(CovPoint.FolioSplit, f, 0);
        var pages = 0;
        foreach (var i in table.Used)
        {
            ref var pte = ref table.At(i);
            if (!pte.Present || pte.Folio != f)
            {
                continue;
            }
            int sub = pte.Sub;
            var n = AllocSmall(f.Origin);
            _lineage.CopiedFrom(n.Pfn, _lineage.ParentOf(f.Pfn), PageKind.Thp, _lineage.ThroughOf(f.Pfn), _lineage.ThroughKindOf(f.Pfn));
            n.SetWords(0, f.Words[sub]);
            f.SetWords(sub, null);
            n.Exclusive[0] = f.Exclusive[sub];
            f.Exclusive[sub] = false;
            pte.Folio = n;
            pte.Sub = 0;
            AddMap(n, 0);
            RemoveMap(f, sub);
            pages++;
        }
        var first = (table.Index << Geometry.PmdShift) >> Geometry.PageShift;
        FlushTlb(p, first, first + Geometry.PmdNr - 1);
        if (Tracing)
        {
            Note($"split_folio: P{p.Id} THP pfn {f.Pfn} -> {pages} base pages, folio freed (ref {f.RefCount})");
        }
    }
}
