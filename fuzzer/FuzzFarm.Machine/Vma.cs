using FuzzFarm.Programs;

namespace FuzzFarm.Machine;

/// <summary>A virtual memory area of one process: [Start, End) with its flags.</summary>
internal sealed class Vma
{
    public ulong Start;
    public ulong End;
    public bool Read;
    public bool Write;
    public bool Shared;
    /// <summary>VM_MAYWRITE: set for every mapping here (no read-only file mappings exist).</summary>
    public bool MayWrite;
    public bool DontCopy;
    public bool HugePage;
    public bool NoHugePage;
    public bool Hugetlb;
    public bool SoftDirty;
    /// <summary>
    /// The VMA's anon_vma, 0 for none: a fault that put a private page in it prepared one (anon_vma_prepare), or fork
    /// gave the child a new one. A read fault that maps the zero page prepares none, and fork copies no page table of
    /// a VMA without one. Pieces of a VMA share it; pieces with different ones never merge again.
    /// </summary>
    public int AnonVma;
    /// <summary>The anon_vma_chain holds more than its own anon_vma (a fork child's: its parent's too), so neighbours
    /// can neither reuse its anon_vma nor merge into it while they have none.</summary>
    public bool AnonVmaForked;
    /// <summary>VM_ACCOUNT: private memory charged as writable (mmap rw, or mprotect making it writable).</summary>
    public bool Account;
    /// <summary>Registered with a userfaultfd in write-protect mode (-1: not registered).</summary>
    public int Uffd = -1;
    /// <summary>Backing object of a shared mapping, and the byte offset of <see cref="Start"/> in it.</summary>
    public ShmObject? Shm;
    public long ShmOffset;

    public bool IsCow => !Shared && MayWrite;

    public bool UffdWp => Uffd >= 0;

    public void CopyFrom(Vma o)
    {
        Start = o.Start;
        End = o.End;
        Read = o.Read;
        Write = o.Write;
        Shared = o.Shared;
        MayWrite = o.MayWrite;
        DontCopy = o.DontCopy;
        HugePage = o.HugePage;
        NoHugePage = o.NoHugePage;
        Hugetlb = o.Hugetlb;
        SoftDirty = o.SoftDirty;
        AnonVma = o.AnonVma;
        AnonVmaForked = o.AnonVmaForked;
        Account = o.Account;
        Uffd = o.Uffd;
        Shm = o.Shm;
        ShmOffset = o.ShmOffset;
    }

    public void SetProt(Flag prot)
    {
        Read = (prot & (Flag.R | Flag.Rw)) != 0;
        Write = (prot & Flag.Rw) != 0;
    }

    /// <summary>
    /// Whether fork copies this VMA's page table (copy_page_range, vma_needs_copy): hugetlb always, other VMAs only
    /// private ones with an anon_vma; a VMA without one is left to fault afresh in the child.
    /// </summary>
    public bool ForkCopiesTable => !DontCopy && !Shared && (Hugetlb || AnonVma != 0);

    public bool Contains(ulong addr) => addr >= Start && addr < End;

    /// <summary>The VMA's flags allow THP (__transparent_hugepage_enabled in madvise(hugepage) mode).</summary>
    public bool ThpAllowed => HugePage && !NoHugePage;

    /// <summary>THP may back the PMD at <paramref name="pmdStart"/>: THP allowed, whole PMD inside the VMA.</summary>
    public bool ThpEligible(ulong pmdStart) =>
        ThpAllowed && !Shared && !Hugetlb && pmdStart >= Start && pmdStart + Geometry.PmdSize <= End;
}
