using System.Globalization;
using System.Text;
using FuzzFarm.Programs;

namespace FuzzFarm.Export.Generation;

/// <summary>
/// A small seeded generator of sequential programs for differential runs: no split ops, and only the vocabulary the
/// real kernel here can run without refusing a feature (no hugetlb, swap-out, soft-dirty or userfaultfd). It writes
/// text from what it has bound so far, parses it, and keeps only programs the C exporter accepts, so the same seed
/// always yields the same programs.
/// </summary>
public sealed class SequentialProgramGenerator(int seed)
{
    private readonly Random _rng = new(seed);

    /// <summary>The next exportable program, and how many candidates were discarded before it.</summary>
    public (Program Program, int Discarded) Next()
    {
        for (var discarded = 0; ; discarded++)
        {
            var text = Candidate();
            if (ProgramParser.TryParse(text, out var program, out _) && CExporter.TryPrepare(program, out _, out _))
            {
                return (program, discarded);
            }
        }
    }

    private sealed record Region(string Name, long Length, string Owner);

    private string Candidate()
    {
        var sb = new StringBuilder();
        var regions = new List<Region>();
        var threads = new List<string> { "t0" };
        var pipes = new List<string>();
        var pins = new List<(string Name, long Length, bool Writable)>();
        var files = new List<(string Name, long Length)>();
        var names = 0;
        var lines = _rng.Next(6, 22);
        string Fresh(string prefix) => prefix + (names++).ToString(CultureInfo.InvariantCulture);

        // Start with memory worth sharing: most interesting programs write before they fork.
        var first = Fresh("m");
        var firstLength = Pick(4096L, 8192L, 65536L, 2L << 20);
        Emit(sb, "t0", $"{first} = mmap({firstLength}, rw, private)");
        regions.Add(new Region(first, firstLength, "t0"));
        if (firstLength == 2L << 20 && _rng.Next(2) == 0)
        {
            Emit(sb, "t0", $"madvise({first}, 2M, hugepage)");
        }
        Emit(sb, "t0", $"store({first}, 1)");

        for (var i = 0; i < lines; i++)
        {
            var t = threads[_rng.Next(threads.Count)];
            var r = regions[_rng.Next(regions.Count)];
            var off = Offset(r.Length);
            switch (_rng.Next(22))
            {
                case 0:
                    {
                        var name = Fresh("m");
                        var len = Pick(4096L, 8192L, 65536L, 2L << 20);
                        var flags = Pick("private", "private", "shared", "private|populate", "shared|populate");
                        Emit(sb, t, $"{name} = mmap({len}, rw, {flags})");
                        regions.Add(new Region(name, len, t));
                        break;
                    }
                case 1 or 2 or 3:
                    Emit(sb, t, $"store({r.Name}+{off}, {i + 2})");
                    break;
                case 4:
                    Emit(sb, t, $"memset({r.Name}+{off & ~4095L}, {Pick(8L, 512L, 4096L)}, {i + 2})");
                    break;
                case 5 or 6 or 7:
                    Emit(sb, t, $"load({r.Name}+{off})");
                    break;
                case 8 or 20 or 21:
                    {
                        var child = "t" + threads.Count.ToString(CultureInfo.InvariantCulture);
                        Emit(sb, t, $"{child} = {Pick("fork", "fork", "thread")}()");
                        threads.Add(child);
                        break;
                    }
                case 9:
                    Emit(sb, t, $"madvise({r.Name}+{off & ~4095L}, 4K, {Pick("dontfork", "dofork", "dontneed", "nohugepage", "hugepage")})");
                    break;
                case 10:
                    Emit(sb, t, _rng.Next(3) == 0 ? $"munmap({r.Name}+{off & ~4095L}, 4K)" : $"mprotect({r.Name}+{off & ~4095L}, 4K, {Pick("r", "rw")})");
                    break;
                case 11:
                    {
                        var p = Fresh("p");
                        Emit(sb, t, $"{p} = pipe()");
                        pipes.Add(p);
                        break;
                    }
                case 12 when pipes.Count > 0:
                    Emit(sb, t, $"vmsplice({pipes[_rng.Next(pipes.Count)]}, {r.Name}+{off & ~4095L}, {Pick(8L, 4096L)})");
                    break;
                case 13 when pipes.Count > 0:
                    Emit(sb, t, $"read({pipes[_rng.Next(pipes.Count)]}, {Pick(8L, 4096L)})");
                    break;
                case 14:
                    {
                        var h = Fresh("h");
                        var len = Math.Min(r.Length, 8192L);
                        var flags = Pick("rw|longterm", "rw", "r|longterm");
                        Emit(sb, t, $"{h} = pin({r.Name}, {len}, {flags})");
                        pins.Add((h, len, flags.StartsWith("rw", StringComparison.Ordinal)));
                        break;
                    }
                case 15 when pins.Count > 0:
                    {
                        var (h, len, writable) = pins[_rng.Next(pins.Count)];
                        Emit(sb, t, writable && _rng.Next(2) == 0 ? $"dma_write({h}, {Offset(len)}, {i + 2})" : $"dma_read({h}, {Offset(len)})");
                        break;
                    }
                case 16:
                    {
                        var f = Fresh("f");
                        Emit(sb, t, $"{f} = file(8K)");
                        files.Add((f, 8192));
                        break;
                    }
                case 17 when files.Count > 0:
                    {
                        var (f, _) = files[_rng.Next(files.Count)];
                        Emit(sb, t, _rng.Next(2) == 0
                            ? $"pread_direct({f}, {Pick(0L, 4096L)}, {r.Name}+{off & ~511L}, 512)"
                            : $"write({f}, {Pick(0L, 4096L)}, {r.Name}+{off & ~7L}, 512)");
                        break;
                    }
                case 18 when threads.Count > 1:
                    Emit(sb, t, $"process_vm_readv({threads[_rng.Next(threads.Count)]}, {r.Name}+{off}, 8)");
                    break;
                case 19 when t != "t0" && _rng.Next(2) == 0:
                    // The validator rejects later lines of an exited thread: stop picking it.
                    Emit(sb, t, "exit()");
                    threads.Remove(t);
                    break;
                default:
                    Emit(sb, t, $"load({r.Name}+{off})");
                    break;
            }
        }
        // End by looking at what the program wrote, from every thread, so the differential has observations.
        foreach (var t in threads)
        {
            var r = regions[_rng.Next(regions.Count)];
            Emit(sb, t, $"load({r.Name}+{Offset(r.Length)})");
        }
        return sb.ToString();
    }

    /// <summary>An aligned word offset, biased to the first words of the first pages where writes collide.</summary>
    private long Offset(long length)
    {
        var page = _rng.Next(3) == 0 ? _rng.NextInt64(length / 4096) : 0;
        return (page * 4096) + (_rng.Next(4) * 8);
    }

    private T Pick<T>(params T[] choices) => choices[_rng.Next(choices.Length)];

    private static void Emit(StringBuilder sb, string thread, string statement) =>
        sb.Append(thread == "t0" ? "" : thread + ": ").Append(statement).Append('\n');
}
