namespace FuzzFarm.Machine;

[Flags]
internal enum PteFlags : byte
{
    None = 0,
    Present = 1,
    Write = 2,
    Dirty = 4,
    SoftDirty = 8,
    UffdWp = 16,
    /// <summary>Swap entries only: the page was PageAnonExclusive when it was swapped out (5.19+).</summary>
    SwapExclusive = 32,
}

/// <summary>
/// A page-table entry: present (folio + subpage), a swap entry (<see cref="SwapSlot"/> ≥ 0), or none.
/// <see cref="Grant"/> is the decision that installed the entry (and its write permission).
/// </summary>
internal struct Pte
{
    public Folio? Folio;
    public PteFlags Flags;
    public Decision Grant;
    /// <summary>
    /// The decision that made the entry map its page. <see cref="Grant"/> moves on when write permission alone is
    /// granted on the same page (a reuse, mprotect); this stays with how the page came here.
    /// </summary>
    public Decision MappedBy;
    /// <summary>
    /// The subpage of a present entry, or swap slot + 1 of a swap entry (which has no folio), so that the default
    /// entry is "none". One field for both keeps the entry at 16 bytes: tables are cleared and copied by the thousand.
    /// </summary>
    private int _subOrSwap;

    public short Sub
    {
        readonly get => (short)_subOrSwap;
        set => _subOrSwap = value;
    }

    public readonly bool Present => (Flags & PteFlags.Present) != 0;

    public readonly bool Writable => (Flags & PteFlags.Write) != 0;

    /// <summary>No page and no swap entry: empty, or a uffd-wp PTE marker (<see cref="IsUffdWpMarker"/>).</summary>
    public readonly bool IsNone => Folio is null && _subOrSwap == 0;

    /// <summary>
    /// A PTE marker (5.19+, shmem and hugetlb): an empty entry that keeps a uffd-wp protection, so that the page it
    /// faults in later is mapped write-protected. It maps nothing, so every walker treats it as empty.
    /// </summary>
    public readonly bool IsUffdWpMarker => IsNone && (Flags & PteFlags.UffdWp) != 0;

    public int SwapSlot
    {
        readonly get => _subOrSwap - 1;
        set => _subOrSwap = value + 1;
    }

    public readonly bool IsSwap => Folio is null && _subOrSwap != 0;
}
