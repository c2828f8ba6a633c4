namespace FuzzFarm.Programs;

/// <summary>The v1 vocabulary of machine.md §1. The numeric values are not part of any stored format.</summary>
public enum Op : byte
{
    Mmap,
    Munmap,
    Mprotect,
    Madvise,
    Store,
    Memset,
    Load,
    Fork,
    Thread,
    Exit,
    Pipe,
    Vmsplice,
    Read,
    Pin,
    Unpin,
    DmaWrite,
    DmaRead,
    File,
    PreadDirect,
    Write,
    ProcessVmReadv,
    ClearRefs,
    Pagemap,
    Uffd,
    UffdRegister,
    UffdWp,
    UffdResolve,
    Wait,
}
