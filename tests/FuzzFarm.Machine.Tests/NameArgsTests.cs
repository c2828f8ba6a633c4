using FuzzFarm.Programs;
using Xunit;

namespace FuzzFarm.Machine.Tests;

/// <summary>
/// The executor checks a line's names for unbound ones by its op's name positions, not by each argument's form: the
/// two must agree wherever the validator lets a program through.
/// </summary>
public class NameArgsTests
{
    /// <summary>Every op once (the seeds leave a few out).</summary>
    private const string EveryOp = """
        a = mmap(8K, rw, private)
        store(a, 1)
        memset(a, 2, 16)
        load(a)
        mprotect(a, 4K, r)
        madvise(a, 4K, dontneed)
        t2 = fork()
        t1 = thread()
        p = pipe()
        vmsplice(p, a, 8)
        read(p, 8)
        q = pin(a, 4K, rw)
        dma_write(q, 0, 1)
        dma_read(q, 0)
        unpin(q)
        f = file(4K)
        write(f, 0, a, 8)
        h = pread_direct(f, 0, a, 8) &
        wait(h)
        v = process_vm_readv(t0, a, 8)
        clear_refs(t0)
        pagemap(a)
        u = uffd()
        uffd_register(u, a, 4K)
        uffd_wp(u, a, 4K, on)
        uffd_resolve(u)
        munmap(a, 8K)
        exit()
        """;

    [Fact]
    public void EveryNameArgumentSitsWhereItsOpTakesOne()
    {
        var seen = new HashSet<Op>();
        var programs = Directory.GetFiles(SeedPrograms.Folder, "*.ff").Select(f => (Path.GetFileName(f), File.ReadAllText(f)))
            .Append(("every op", EveryOp));
        foreach (var (name, text) in programs)
        {
            foreach (var st in ProgramParser.Parse(text).Statements)
            {
                seen.Add(st.Op);
                var names = st.Info.NameArgs;
                for (var i = 0; i < st.Args.Length; i++)
                {
                    Assert.True((st.Args[i].Form == ArgForm.Name) == ((names >> i & 1) != 0),
                        $"{name}: {st.Info.Name} argument {i} is a {st.Args[i].Form}");
                }
                Assert.Equal(0, names >> st.Args.Length);
            }
        }
        Assert.Equal(Enum.GetValues<Op>().Length, seen.Count);
    }

    [Fact]
    public void AnAddressAndAHandleAreNamesAndNumbersAndFlagsAreNot()
    {
        Assert.Equal(0b001, OpTable.Get(Op.Store).NameArgs);
        Assert.Equal(0b000, OpTable.Get(Op.Mmap).NameArgs);
        Assert.Equal(0b011, OpTable.Get(Op.Vmsplice).NameArgs);
        Assert.Equal(0b0101, OpTable.Get(Op.Write).NameArgs);
    }
}
