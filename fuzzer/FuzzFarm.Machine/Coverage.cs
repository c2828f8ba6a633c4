namespace FuzzFarm.Machine;

/// <summary>
/// KCOV-like coverage of one execution: each decision point passed, combined with the abstract state seen there
/// (refcount, mapcount and pincount bucketed, page kind), sets a 32-bit feature. Owned by one kernel, never shared.
/// </summary>
public sealed class Coverage
{
    private uint[] _features = new uint[256];
    private int _count;
    private bool _sorted = true;

    public void Clear()
    {
        _count = 0;
        _sorted = true;
    }

    /// <summary>Records a decision point with the state of the page it looked at.</summary>
    internal void Hit(CovPoint point, Folio? folio = null, int sub = 0, bool pmdMapped = false)
    {
        uint state = 0;
        if (folio is not null)
        {
            state = (uint)Bucket(folio.RefCount)
                | ((uint)Bucket(folio.Mapcount(sub)) << 4)
                | ((uint)Bucket(folio.Large ? folio.PinCount : folio.RefCount / Geometry.PinBias) << 8)
                | ((uint)folio.Kind(pmdMapped) << 12)
                | (folio.SwapCache ? 1u << 15 : 0);
        }
        Add(((uint)point << 16) | state);
    }

    /// <summary>Records a decision point with a small number describing the state (a count, a branch index).</summary>
    internal void Hit(CovPoint point, int value) => Add(((uint)point << 16) | 0x8000u | (uint)Bucket(value));

    private void Add(uint feature)
    {
        if (_count == _features.Length)
        {
            Compact();
            if (_count == _features.Length)
            {
                Array.Resize(ref _features, _features.Length * 2);
            }
        }
        _features[_count++] = feature;
        _sorted = false;
    }

    /// <summary>The features, sorted and de-duplicated; valid until the next execution.</summary>
    public ReadOnlySpan<uint> Features
    {
        get
        {
            Compact();
            return _features.AsSpan(0, _count);
        }
    }

    private void Compact()
    {
        if (_sorted)
        {
            return;
        }
        var span = _features.AsSpan(0, _count);
        span.Sort();
        var n = 0;
        for (var i = 0; i < span.Length; i++)
        {
            if (n == 0 || span[i] != span[n - 1])
            {
                span[n++] = span[i];
            }
        }
        _count = n;
        _sorted = true;
    }

    /// <summary>0, 1, 2, 3, then powers of two: 4–7, 8–15, ... (negative counts get their own bucket).</summary>
    private static int Bucket(int v) => v < 0 ? 15 : v < 4 ? v : Math.Min(14, 2 + (31 - int.LeadingZeroCount(v)));
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
}
