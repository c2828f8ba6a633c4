namespace FuzzFarm.Testing;

/// <summary>
/// One signature on v5.7, two root causes, as the fuzzer found them: an O_DIRECT read in flight across fork (7 lines,
/// open until 6.2's FOLL_PIN), and an RDMA pin across fork (5 lines, fixed in 5.9). For tests of choosing the shorter
/// repro.
/// </summary>
public static class TwoRootCauses
{
    public const string Signature = "cross-process-visibility in copy_present_pte: share with child [base]";

    public const string Kind = "cross-process-visibility";

    public const string ODirect = """
        t1 = thread()
        a = mmap(4K, rw, private)
        f = file(4K)
        w = pread_direct(f, 0, a, 8) &
        t1: t2 = fork()
        wait(w)
        t2: load(a)

        """;

    public const string Pin = """
        a = mmap(4K, rw, private)
        h = pin(a, 4K, rw)
        t1 = fork()
        dma_write(h, 8, 0)
        t1: load(a+8)

        """;
}
