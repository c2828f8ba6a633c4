namespace FuzzFarm.Machine;

/// <summary>Writes that race a COW copy: the copy was taken before them, so it will not hold them once installed.</summary>
internal sealed partial class Kernel
{
    /// <summary>Split stores whose COW copy is made but not installed yet (wp_page_copy between copy and set_pte).</summary>
    private int _copiesInFlight;

    /// <summary>
    /// A COW copy of <paramref name="page"/> starts while a CPU still holds a writable TLB entry for it (left stale by
    /// a write-protect whose flush is pending or was elided). The faulting CPU has none: it faulted on the write. Such a
    /// CPU can write the old page after the copy is taken, so this state comes one step before a write during the copy;
    /// as a feature of its own it gives the fuzzer that step.
    /// </summary>
    private void NoteCopyWhileWritable(Process p, ulong page, Folio f, int sub, bool split)
    {
        foreach (var t in p.Threads)
        {
            if (t.Tlb.TryFind(page, out var e) && e.Writable && e.Folio == f)
            {
                // A split copy has its window open already: the write that loses is one insert away.
                Coverage.HitCause(CovPoint.CopyWhileWritable, e.Stale, f, windowOpen: split);
                if (Tracing)
                {
                    Note($"copy of pfn {f.Pfn}{SubText(f, sub)} starts while cpu {t} can still write it through a stale TLB entry");
                }
                return;
            }
        }
    }

    /// <summary>
    /// A write (CPU, DMA or O_DIRECT) lands on subpage <paramref name="sub"/> of <paramref name="f"/> while a copy of it
    /// is in flight. This is the state every COW lost-write race passes through, whatever made the write possible
    /// (a stale TLB entry, a pin, an in-flight I/O), so it is a coverage feature of its own: the oracle can only
    /// report the loss once a later read observes it.
    /// </summary>
    private void NoteWriteDuringCopy(Folio f, int sub)
    {
        if (CopyInFlight(f, sub) is { } copy)
        {
            Coverage.Hit(CovPoint.WriteDuringCopy, f, sub);
            if (Tracing)
            {
                Note($"write to pfn {f.Pfn}{SubText(f, sub)} while its COW copy to pfn {copy.Pfn} is in flight: the copy will not hold it");
            }
        }
    }

    /// <summary>The copy a split store has made of subpage <paramref name="sub"/> of <paramref name="f"/> and not installed yet.</summary>
    private Folio? CopyInFlight(Folio f, int sub) => CopyingStore(f, sub)?.NewFolio;

    /// <summary>The split store whose COW copy of subpage <paramref name="sub"/> of <paramref name="f"/> is in flight.</summary>
    private AsyncOp? CopyingStore(Folio f, int sub)
    {
        foreach (var op in Async)
        {
            if (op.Pending && op.Kind == AsyncKind.Store && op.NewFolio is not null && op.OrigFolio == f && op.OrigSub == sub)
            {
                return op;
            }
        }
        return null;
    }

    /// <summary>
    /// How a write through a stale entry to word <paramref name="addr"/> meets a copy of its page: none in flight, or
    /// in flight and the copying store writes that same word (its value wins anyway), or another word (lost).
    /// </summary>
    private StaleCopy StaleWriteMeetsCopy(Folio f, int sub, ulong addr)
    {
        if (_copiesInFlight == 0 || CopyingStore(f, sub) is not { } op)
        {
            return StaleCopy.None;
        }
        return (op.Addr & 0xfffUL) >> 3 == (addr & 0xfffUL) >> 3 ? StaleCopy.SameWord : StaleCopy.OtherWord;
    }
}
