using FuzzFarm.Programs;

namespace FuzzFarm.Export.Reference;

/// <summary>
/// One mapping of a process in the reference model. Word <c>(addr - ObjectBase) / 8</c> of <see cref="Object"/> backs
/// address <c>addr</c>; splitting a mapping keeps the object and its base, so both halves stay the same memory.
/// </summary>
internal sealed record Vma(long Start, long End, Flag Prot, bool Shared, bool Hugetlb, bool DontFork, MemObject Object, long ObjectBase)
{
    public bool Readable => Prot is Flag.R or Flag.Rw;

    public bool Writable => Prot == Flag.Rw;

    public long PageSize => Hugetlb ? 2L << 20 : 4096;

    public long Word(long addr) => (addr - ObjectBase) / 8;

    public bool Contains(long addr) => addr >= Start && addr < End;
}
