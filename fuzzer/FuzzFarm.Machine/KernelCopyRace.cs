namespace FuzzFarm.Machine;

/// <summary>Writes that race a COW copy: the copy was taken before them, so it will not hold them once installed.</summary>
internal sealed partial class Kernel
{
    /// <summary>Split stores whose COW copy is made but not installed yet (wp_page_copy between copy and set_pte).</summary>
    private int _copiesInFlight;

    /// <summary>
    /// A write (CPU, DMA or O_DIRECT) lands on subpage <paramref name="sub"/> of <paramref name="f"/> while a copy of it
    /// is in flight. This is the state every COW lost-write race passes through, whatever made the write possible
    /// (a stale TLB entry, a pin, an in-flight I/O), so it is a coverage feature of its own: the oracle can only
    /// report the loss once a later read observes it.
    /// </summary>
    private void NoteWriteDuringCopy(Folio f, int sub)
    {
        foreach (var op in Async)
        {
            if (op.Pending && op.Kind == AsyncKind.Store && op.NewFolio is { } copy && op.OrigFolio == f && op.OrigSub == sub)
            {
                Coverage.Hit(CovPoint.WriteDuringCopy, f, sub);
                if (Tracing)
                {
                    Note($"write to pfn {f.Pfn}{SubText(f, sub)} while its COW copy to pfn {copy.Pfn} is in flight: the copy will not hold it");
                }
                return;
            }
        }
    }
}
