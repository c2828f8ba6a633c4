using System.Reflection;
using FuzzFarm.Programs;

namespace FuzzFarm.AflHarness.Tests;

/// <summary>Bytes that decode to the vmsplice leak of corpus/seeds/s1-vmsplice-base.ff, choice by choice.</summary>
internal static class Scenario
{
    public static string RepoRoot { get; } = typeof(Scenario).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == "RepoRoot").Value!;

    // With one runnable thread the thread choice reads no byte; with t0 and t1 it reads 0 or 1.
    public static byte[] S1Bytes { get; } =
    [
        (byte)Op.Mmap, 0, 2, 0,          // length 4K, prot rw, flags private
        (byte)Op.Store, 0, 0, 1,         // offset 0, value 1, not split
        (byte)Op.Fork,
        1, (byte)Op.Pipe,
        1, (byte)Op.Vmsplice, 0, 0,      // offset 0, length 4K
        1, (byte)Op.Munmap, 0, 0,
        0, (byte)Op.Store, 0, 1, 1,      // value 2
        1, (byte)Op.Read, 0,
    ];

    public const string S1Text = """
        a1 = mmap(4K, rw, private)
        store(a1, 1)
        t1 = fork()
        t1: p1 = pipe()
        t1: vmsplice(p1, a1, 4K)
        t1: munmap(a1, 4K)
        store(a1, 2)
        t1: read(p1, 4K)

        """;
}
