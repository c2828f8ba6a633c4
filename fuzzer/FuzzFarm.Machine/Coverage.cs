namespace FuzzFarm.Machine;

/// <summary>
/// KCOV-like coverage of one execution: each decision point passed, combined with the abstract state seen there
/// (refcount, mapcount and pincount bucketed, page kind), sets a 32-bit feature. Owned by one kernel, never shared.
/// </summary>
public sealed class Coverage
{
    private uint[] _features = new uint[256];
    private int _count;
    // De-duplication at insert: an open-addressing set stamped with the execution's generation, so that Clear costs
    // nothing and a decision passed once per subpage of a 2M range adds one feature, not 512.
    private uint[] _slots = new uint[1024];
    private int[] _stamps = new int[1024];
    private int _generation = 1;
    // The feature added last (0 is never a feature): loops over a range hit the same one for page after page.
    private uint _last;

    public void Clear()
    {
        _count = 0;
        _last = 0;
        if (++_generation == int.MaxValue)
        {
            Array.Clear(_stamps);
            _generation = 1;
        }
    }

    /// <summary>Records a decision point with the state of the page it looked at.</summary>
    internal void Hit(CovPoint point, Folio? folio = null, int sub = 0, bool pmdMapped = false)
    {
        Add(((uint)point << 16) | (folio is null ? 0 : State(folio, folio.RefCount, folio.Mapcount(sub), pmdMapped)));
    }

    /// <summary>The page state a hit records: refcount, mapcount and pincount bucketed, page kind, swap cache.</summary>
    private static uint State(Folio folio, int refCount, int mapcount, bool pmdMapped) =>
        State(folio, refCount, mapcount, folio.Large ? folio.PinCount : refCount / Geometry.PinBias, pmdMapped);

    private static uint State(Folio folio, int refCount, int mapcount, int pinCount, bool pmdMapped) =>
        (uint)Bucket(refCount)
        | ((uint)Bucket(mapcount) << 4)
        | ((uint)Bucket(pinCount) << 8)
        | ((uint)folio.Kind(pmdMapped) << 12)
        | (folio.SwapCache ? 1u << 15 : 0);

    /// <summary>
    /// <see cref="Hit(CovPoint, Folio?, int, bool)"/> for each subpage in [first, first + count) of a PMD-mapped large
    /// folio that GUP takes one after another, the k-th seen at refcount <paramref name="refStart"/> + k *
    /// <paramref name="refStep"/> and pincount <paramref name="pinStart"/> + k * <paramref name="pinStep"/> (steps 0 or
    /// 1).
    /// </summary>
    internal void HitHugeRun(CovPoint point, Folio folio, int first, int count, int refStart, int pinStart, int refStep, int pinStep) =>
        HitSubpages(point, folio, first, count, new CountWalk(refStart, refStep, pinStart, pinStep), pmdMapped: true);

    /// <summary>
    /// <see cref="Hit(CovPoint, Folio?, int, bool)"/> for each PTE-mapped subpage in [first, first + count) of a large
    /// folio (whose pincount does not move with its refcount), the k-th seen at refcount <paramref name="refStart"/> +
    /// k * <paramref name="refStep"/> (-1, 0 or 1): a walk over a split PMD's template entries.
    /// </summary>
    internal void HitRun(CovPoint point, Folio folio, int first, int count, int refStart, int refStep) =>
        // A small folio has one subpage, whose pincount is its refcount's (State's rule), taken here at refStart.
        HitSubpages(point, folio, first, count,
            new CountWalk(refStart, refStep, folio.Large ? folio.PinCount : refStart / Geometry.PinBias, 0), pmdMapped: false);

    /// <summary>
    /// The hits of subpages [first, first + count), the k-th at the counts <paramref name="walk"/> gives it: within a
    /// stretch of subpages sharing one mapcount, one feature each time a count enters a new bucket. These are the
    /// features the per-subpage hits give, in the same order less repeats, without looking at each subpage.
    /// </summary>
    private void HitSubpages(CovPoint point, Folio folio, int first, int count, CountWalk walk, bool pmdMapped)
    {
        var at = (uint)point << 16;
        if (folio.SamePteMapcount(first, count) is { } mapcount)
        {
            HitStretch(at, folio, 0, count, walk, mapcount + folio.CompoundMapcount, pmdMapped);
            return;
        }
        // Mapcounts differ (part of the folio is mapped elsewhere too): stretch by stretch of equal ones.
        for (var k = 0; k < count;)
        {
            var pteMapcount = folio.PteMapcount(first + k);
            var end = k + 1;
            while (end < count && folio.PteMapcount(first + end) == pteMapcount)
            {
                end++;
            }
            HitStretch(at, folio, k, end, walk, pteMapcount + folio.CompoundMapcount, pmdMapped);
            k = end;
        }
    }

    /// <summary>The hits of subpages [from, to) of a run, all with <paramref name="mapcount"/>: one per count bucket.</summary>
    private void HitStretch(uint at, Folio folio, int from, int to, CountWalk walk, int mapcount, bool pmdMapped)
    {
        for (long k = from; k < to;)
        {
            var refCount = walk.RefStart + (int)k * walk.RefStep;
            var pinCount = walk.PinStart + (int)k * walk.PinStep;
            Add(at | State(folio, refCount, mapcount, pinCount, pmdMapped));
            k += Math.Min(Math.Min(StepsInBucket(refCount, walk.RefStep), StepsInBucket(pinCount, walk.PinStep)), to);
        }
    }

    /// <summary>The refcount and pincount of the first subpage of a run, and how much each moves per subpage.</summary>
    private readonly record struct CountWalk(int RefStart, int RefStep, int PinStart, int PinStep);

    /// <summary>How many steps of <paramref name="step"/> from <paramref name="v"/> stay in its bucket (at least 1).</summary>
    private static long StepsInBucket(int v, int step)
    {
        if (step == 0)
        {
            return long.MaxValue;
        }
        if (v < 0)
        {
            return step > 0 ? -(long)v : long.MaxValue;
        }
        if (v < 4)
        {
            return 1;
        }
        var bucket = Bucket(v);
        if (bucket == 14)
        {
            return step > 0 ? long.MaxValue : v - 4096L + 1;
        }
        var low = 1 << (bucket - 2);
        return step > 0 ? (low << 1) - v : v - low + 1;
    }

    /// <summary>
    /// An access through a stale TLB entry: read or write, which decision left it stale, with the page's refcount (up
    /// to 15). The count-bucketed hit alone cannot tell one stale window from another, so a fuzzer gets no signal for
    /// the rarer; and only a write through it can be lost, so a program reaching a stale write is worth keeping apart.
    /// A write through it while a COW copy of its page is in flight is the loss itself, so that sets a feature apart too,
    /// and apart again when it hits a word the copying store does not write: only then does the new page lack it for good.
    /// </summary>
    internal void HitStale(bool write, Decision cause, Folio folio, StaleCopy copy) =>
        Add(((uint)CovPoint.StaleTlbCause << 16) | 0x4000u | (write ? 0x1000u : 0) | ((uint)cause << 4) | copy switch
        {
            StaleCopy.None => (uint)Math.Min(folio.RefCount, 15),
            // The refcount gets three bits here: the fourth tells the words apart.
            StaleCopy.SameWord => 0x2000u | (uint)Math.Min(folio.RefCount, 7),
            _ => 0x2000u | 0x8u | (uint)Math.Min(folio.RefCount, 7),
        });

    /// <summary>
    /// A write-protect that left entries allowing writes in <paramref name="cpus"/> CPUs' TLBs, its flush deferred or
    /// missing: the first step of every stale-TLB loss, which no page count shows. One feature per cause, number of
    /// CPUs (up to 3) and the page's refcount (1, 2, 3 or more), so that a program reaching it for a rarer cause
    /// (uffd-wp's pending flush) is kept apart, and again when the page is also referenced elsewhere (a pipe, a pin,
    /// the swap cache): only then does the next write fault copy it under the page_count rule, the step a loss needs.
    /// Apart again when the op is split (<paramref name="windowOpen"/>): only then can a later line fault on the page
    /// before the flush, where an op that flushes at its end leaves nothing to race; <paramref name="cpus"/> then counts
    /// only the CPUs that can write meanwhile, not the one waiting in the op. And apart by where the new entry
    /// sends a write (<paramref name="uffdWp"/>): to userfaultfd, which blocks the writer, or to the COW fault, which
    /// copies the page while the stale entries can still write the old one.
    /// </summary>
    internal void HitStaleLeft(Decision cause, int cpus, Folio folio, bool windowOpen, bool uffdWp) =>
        Add(((uint)CovPoint.StaleLeft << 16) | (windowOpen ? 0x8000u : 0) | (uffdWp ? 0x4000u : 0)
            | ((uint)Math.Min(folio.RefCount, 3) << 12) | ((uint)cause << 4) | (uint)Math.Min(cpus, 3));

    /// <summary>
    /// A decision point reached with a stale TLB entry in play: which decision left it stale, with the page's refcount
    /// (up to 15), and whether the op's window is still open (a split op, which a later line can race). One stale window
    /// (uffd-wp's pending flush) is far rarer than another (clear_refs' missing one), and a count-bucketed hit would not
    /// tell them apart.
    /// </summary>
    internal void HitCause(CovPoint point, Decision cause, Folio folio, bool windowOpen = false) =>
        Add(((uint)point << 16) | 0x4000u | (windowOpen ? 0x1000u : 0) | ((uint)cause << 4) | (uint)Math.Min(folio.RefCount, 15));

    /// <summary>Records a decision point with a small number describing the state (a count, a branch index).</summary>
    internal void Hit(CovPoint point, int value) => Add(((uint)point << 16) | 0x8000u | (uint)Bucket(value));

    private void Add(uint feature)
    {
        if (feature == _last)
        {
            return;
        }
        _last = feature;
        var mask = _slots.Length - 1;
        var i = (int)((feature * 0x9E3779B1u) >> 16) & mask;
        while (_stamps[i] == _generation)
        {
            if (_slots[i] == feature)
            {
                return;
            }
            i = (i + 1) & mask;
        }
        _stamps[i] = _generation;
        _slots[i] = feature;
        if (_count == _features.Length)
        {
            Array.Resize(ref _features, _features.Length * 2);
        }
        _features[_count++] = feature;
        if (_count * 2 > _slots.Length)
        {
            Grow();
        }
    }

    /// <summary>Doubles the set and re-inserts this execution's features.</summary>
    private void Grow()
    {
        _slots = new uint[_slots.Length * 2];
        _stamps = new int[_stamps.Length * 2];
        var mask = _slots.Length - 1;
        for (var k = 0; k < _count; k++)
        {
            var feature = _features[k];
            var i = (int)((feature * 0x9E3779B1u) >> 16) & mask;
            while (_stamps[i] == _generation)
            {
                i = (i + 1) & mask;
            }
            _stamps[i] = _generation;
            _slots[i] = feature;
        }
    }

    /// <summary>The features, de-duplicated, in the order they were first reached; valid until the next execution.</summary>
    public ReadOnlySpan<uint> Unordered => _features.AsSpan(0, _count);

    /// <summary>0, 1, 2, 3, then powers of two: 4–7, 8–15, ... (negative counts get their own bucket).</summary>
    private static int Bucket(int v) => v < 0 ? 15 : v < 4 ? v : Math.Min(14, 2 + (31 - int.LeadingZeroCount(v)));
}

/// <summary>How a write through a stale TLB entry meets a COW copy of its page (see <see cref="Coverage.HitStale"/>).</summary>
internal enum StaleCopy : byte
{
    None,
    SameWord,
    OtherWord,
}

/// <summary>Decision points of the simulated kernel (coverage ids; not stored anywhere).</summary>
internal enum CovPoint : ushort
{
    AnonFault = 1,
    ZeroFault,
    ThpFault,
    HugetlbFault,
    ShmemFault,
    WpReuse,
    WpCopy,
    WpCopyZero,
    WpShared,
    WpExclusive,
    WpUffdBlock,
    WpFlushBeforeCopy,
    WpInstall,
    WpBackOff,
    PmdReuse,
    PmdCopy,
    PmdSplit,
    PmdExclusive,
    SwapIn,
    SwapReuse,
    SwapReadOnly,
    SwapOut,
    SwapOutSkipPinned,
    SwapOutSkipShared,
    HugetlbReuse,
    HugetlbCopy,
    ForkShare,
    ForkCopyPinned,
    ForkSplitPinned,
    ForkSwap,
    ForkHugetlbCopy,
    GupGet,
    GupPin,
    GupForcedWrite,
    GupFault,
    GupUnshare,
    GupPinNonExclusive,
    Unshare,
    ClearRefsWp,
    ClearRefsSkipPinned,
    ClearRefsPmd,
    ClearRefsFlush,
    ClearRefsNoFlush,
    Pagemap,
    StaleTlbWrite,
    StaleTlbRead,
    TlbHit,
    MprotectWp,
    MprotectWritable,
    UffdWpOn,
    UffdWpOff,
    UffdResolve,
    LockBlock,
    Unmap,
    PipeRead,
    DmaWrite,
    DmaRead,
    OdirectDma,
    Exit,
    Segv,
    Hang,
    KernelWarn,
    StaleTlbCause,
    SwapOutThp,
    FolioSplit,
    WriteDuringCopy,
    NestedFlush,
    CopyWhileWritable,
    StaleLeft,
    UffdWpMarker,
}
