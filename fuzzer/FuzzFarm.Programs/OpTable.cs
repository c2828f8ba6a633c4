using System.Collections.Frozen;
using System.Collections.Immutable;

namespace FuzzFarm.Programs;

/// <summary>
/// The vocabulary of machine.md §1 as data: the parser, validator, printer, generator and C export all read it.
/// One extension to §1: <c>store</c> splits after a COW fault has copied the page and before the new PTE is installed
/// (the window of wp_page_copy in which another CPU can still write the old page through a stale TLB entry).
/// </summary>
public static class OpTable
{
    private static readonly OpInfo[] ByOp = Build();

    public static FrozenDictionary<string, OpInfo> ByName { get; } =
        ByOp.ToFrozenDictionary(i => i.Name, StringComparer.Ordinal);

    public static ImmutableArray<OpInfo> All { get; } = [.. ByOp];

    public static OpInfo Get(Op op) => ByOp[(int)op];

    private static OpInfo[] Build()
    {
        const ParamKind N = ParamKind.Number, A = ParamKind.Address;
        OpInfo[] table =
        [
            new(Op.Mmap, "mmap", [N, ParamKind.Prot, ParamKind.MapFlags], ParamKind.Address, false),
            new(Op.Munmap, "munmap", [A, N], null, false),
            new(Op.Mprotect, "mprotect", [A, N, ParamKind.Prot], null, true),
            new(Op.Madvise, "madvise", [A, N, ParamKind.Advice], null, false),
            new(Op.Store, "store", [A, N], null, true),
            new(Op.Memset, "memset", [A, N, N], null, false),
            new(Op.Load, "load", [A], null, false),
            new(Op.Fork, "fork", [], ParamKind.Thread, false),
            new(Op.Thread, "thread", [], ParamKind.Thread, false),
            new(Op.Exit, "exit", [], null, false),
            new(Op.Pipe, "pipe", [], ParamKind.Pipe, false),
            new(Op.Vmsplice, "vmsplice", [ParamKind.Pipe, A, N], null, false),
            new(Op.Read, "read", [ParamKind.Pipe, N], null, false),
            new(Op.Pin, "pin", [A, N, ParamKind.PinFlags], ParamKind.Pin, false),
            new(Op.Unpin, "unpin", [ParamKind.Pin], null, false),
            new(Op.DmaWrite, "dma_write", [ParamKind.Pin, N, N], null, false),
            new(Op.DmaRead, "dma_read", [ParamKind.Pin, N], null, false),
            new(Op.File, "file", [N], ParamKind.File, false),
            new(Op.PreadDirect, "pread_direct", [ParamKind.File, N, A, N], ParamKind.Handle, true),
            new(Op.Write, "write", [ParamKind.File, N, A, N], null, false),
            new(Op.ProcessVmReadv, "process_vm_readv", [ParamKind.Thread, A, N], ParamKind.Handle, true),
            new(Op.ClearRefs, "clear_refs", [ParamKind.Thread], null, true),
            new(Op.Pagemap, "pagemap", [A], null, false),
            new(Op.Uffd, "uffd", [], ParamKind.Uffd, false),
            new(Op.UffdRegister, "uffd_register", [ParamKind.Uffd, A, N], null, false),
            new(Op.UffdWp, "uffd_wp", [ParamKind.Uffd, A, N, ParamKind.OnOff], null, true),
            new(Op.UffdResolve, "uffd_resolve", [ParamKind.Uffd], null, false),
            new(Op.Wait, "wait", [ParamKind.Handle], null, false),
        ];
        for (var i = 0; i < table.Length; i++)
        {
            if ((int)table[i].Op != i)
            {
                throw new InvalidOperationException($"OpTable row {i} is {table[i].Op}: keep the table in Op order");
            }
            if (System.Numerics.BitOperations.PopCount((uint)table[i].NameArgs) > LineSlots.MaxNameArgs)
            {
                throw new InvalidOperationException($"{table[i].Name} takes more than {LineSlots.MaxNameArgs} names: LineSlots holds that many a line");
            }
        }
        return table;
    }
}
