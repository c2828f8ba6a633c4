using System.Text;
using FuzzFarm.Oracle;
using FuzzFarm.Programs;
using Xunit;

namespace FuzzFarm.Machine.Tests;

/// <summary>
/// Seeded random programs over the whole vocabulary: the machine must never throw, must replay identically, and
/// its signatures must stay free of addresses and counts.
/// </summary>
public class RandomProgramTests
{
    private static readonly string[] Lengths = ["4K", "8K", "16K", "2M", "2052K"];

    private static string Generate(int seed)
    {
        var rng = new Random(seed);
        var text = new StringBuilder();
        var addrs = new List<string>();
        var pipes = new List<string>();
        var pins = new List<string>();
        var uffds = new List<string>();
        var files = new List<string>();
        var threads = new List<string> { "t0" };
        var n = 0;
        string Pick(List<string> from) => from[rng.Next(from.Count)];
        string Name(string prefix) => $"{prefix}{++n}";
        string Addr() => rng.Next(3) == 0 ? $"{Pick(addrs)}+{rng.Next(4) * 4096 + rng.Next(4) * 8}" : Pick(addrs);
        string Len() => Lengths[rng.Next(Lengths.Length)];
        void Line(string thread, string body) => text.Append(thread == "t0" ? "" : thread + ": ").Append(body).Append('\n');
        string? Call(string thread, bool split)
        {
            switch (rng.Next(split ? 6 : 24))
            {
                case 0: return $"mprotect({Addr()}, {Len()}, {(rng.Next(2) == 0 ? "r" : "rw")})";
                case 1: return $"store({Addr()}, {rng.Next(100)})";
                case 2: return threads.Count > 0 ? $"clear_refs({Pick(threads)})" : null;
                case 3: return uffds.Count > 0 ? $"uffd_wp({Pick(uffds)}, {Addr()}, {Len()}, {(rng.Next(2) == 0 ? "on" : "off")})" : null;
                case 4: return files.Count > 0 ? $"pread_direct({Pick(files)}, 0, {Addr()}, {(rng.Next(2) == 0 ? "512" : "4K")})" : null;
                case 5: return $"process_vm_readv({Pick(threads)}, {Addr()}, 4K)";
                case 6:
                    {
                        var a = Name("a");
                        addrs.Add(a);
                        return $"{a} = mmap({Len()}, rw, {(rng.Next(4) == 0 ? "shared" : "private")}{(rng.Next(4) == 0 ? "|hugetlb" : "")}{(rng.Next(4) == 0 ? "|populate" : "")})";
                    }
                case 7: return $"madvise({Addr()}, {Len()}, {new[] { "dontfork", "dofork", "hugepage", "nohugepage", "dontneed", "pageout" }[rng.Next(6)]})";
                case 8: return $"memset({Addr()}, {(rng.Next(2) == 0 ? "4K" : "64")}, {rng.Next(100)})";
                case 9: return $"load({Addr()})";
                case 10:
                    {
                        var t = $"t{threads.Count + 10 + n}";
                        threads.Add(t);
                        return $"{t} = {(rng.Next(2) == 0 ? "fork" : "thread")}()";
                    }
                case 11:
                    {
                        var p = Name("p");
                        pipes.Add(p);
                        return $"{p} = pipe()";
                    }
                case 12: return pipes.Count > 0 ? $"vmsplice({Pick(pipes)}, {Addr()}, {Len()})" : null;
                case 13: return pipes.Count > 0 ? $"read({Pick(pipes)}, {(rng.Next(2) == 0 ? "4K" : "512")})" : null;
                case 14:
                    {
                        var h = Name("h");
                        pins.Add(h);
                        return $"{h} = pin({Addr()}, {(rng.Next(2) == 0 ? "4K" : "8K")}, {(rng.Next(2) == 0 ? "r" : "rw")}{(rng.Next(2) == 0 ? "|longterm" : "")})";
                    }
                case 15: return pins.Count > 0 ? $"dma_write({Pick(pins)}, {rng.Next(8) * 8}, {rng.Next(100)})" : null;
                case 16: return pins.Count > 0 ? $"dma_read({Pick(pins)}, {rng.Next(8) * 8})" : null;
                case 17: return pins.Count > 0 ? $"unpin({Pick(pins)})" : null;
                case 18:
                    {
                        var f = Name("f");
                        files.Add(f);
                        return $"{f} = file(4K)";
                    }
                case 19: return files.Count > 0 ? $"write({Pick(files)}, 0, {Addr()}, 4K)" : null;
                case 20: return $"pagemap({Addr()})";
                case 21:
                    {
                        var u = Name("u");
                        uffds.Add(u);
                        return $"{u} = uffd()";
                    }
                case 22: return uffds.Count > 0 ? $"uffd_register({Pick(uffds)}, {Addr()}, {Len()})" : null;
                default: return uffds.Count > 0 ? $"uffd_resolve({Pick(uffds)})" : null;
            }
        }
        addrs.Add("a0");
        Line("t0", $"a0 = mmap({Len()}, rw, private)");
        for (var i = 0; i < 4 + rng.Next(24); i++)
        {
            var thread = Pick(threads);
            var split = threads.Count > 1 && rng.Next(5) == 0;
            var call = Call(thread, split);
            if (call is null)
            {
                continue;
            }
            if (!split)
            {
                Line(thread, call);
                continue;
            }
            var handle = Name("w");
            Line(thread, $"{handle} = {call} &");
            for (var k = rng.Next(3); k > 0; k--)
            {
                var other = Pick(threads);
                if (other != thread && Call(other, false) is { } between && !between.Contains('='))
                {
                    Line(other, between);
                }
            }
            Line(thread, $"wait({handle})");
        }
        return text.ToString();
    }

    [Fact]
    public void RandomProgramsNeverThrowAndReplayIdentically()
    {
        var valid = 0;
        var executor = new Executor(new ExecutionOptions { Trace = true });
        var fast = new Executor(ExecutionOptions.Fast);
        for (var seed = 0; seed < 300; seed++)
        {
            var text = Generate(seed);
            if (!ProgramParser.TryParse(text, out var program, out _))
            {
                continue;
            }
            valid++;
            foreach (var profile in KernelProfile.Named)
            {
                var a = executor.Run(program, profile);
                var b = fast.Run(program, profile);
                Assert.True(a.Coverage.SequenceEqual(b.Coverage), $"coverage differs on {profile}:\n{text}");
                Assert.Equal(a.Violations.Select(v => v.Signature + v.Line), b.Violations.Select(v => v.Signature + v.Line));
                foreach (var v in a.Violations)
                {
                    Assert.DoesNotContain("0x", v.Signature, StringComparison.Ordinal);
                    Assert.DoesNotContain(" in none", v.Signature, StringComparison.Ordinal);
                    Assert.DoesNotContain("kernel-warn", v.Signature, StringComparison.Ordinal);
                }
            }
        }
        Assert.True(valid > 200, $"only {valid} generated programs were valid");
    }
}
