using System.Collections.Immutable;
using FuzzFarm.Programs;
using Xunit;

namespace FuzzFarm.Fuzzing.Tests;

public class GeneratorTests
{
    private static List<Program> Generate(ulong seed, int count)
    {
        var rng = new Rng(seed);
        var generator = new Generator(rng, new Grammar(rng));
        var list = new List<Statement>();
        var programs = new List<Program>(count);
        for (var i = 0; i < count; i++)
        {
            generator.Generate(list, rng.Between(2, 14));
            Assert.True(ProgramValidator.TryValidate(ImmutableArray<string>.Empty, list, out var p, out var error),
                $"program {i} of seed {seed} is invalid: {error?.Message}\n{string.Join('\n', list)}");
            programs.Add(p);
        }
        return programs;
    }

    [Fact]
    public void GeneratedProgramsAreValidAndRoundTripThroughText()
    {
        foreach (var p in Generate(seed: 11, count: 3000))
        {
            var text = ProgramPrinter.Print(p);
            Assert.Equal(text, ProgramPrinter.Print(ProgramParser.Parse(text)));
        }
    }

    [Fact]
    public void GenerationIsDeterministicBySeed()
    {
        var a = Generate(seed: 5, count: 200).Select(ProgramPrinter.Print).ToList();
        var b = Generate(seed: 5, count: 200).Select(ProgramPrinter.Print).ToList();
        var c = Generate(seed: 6, count: 200).Select(ProgramPrinter.Print).ToList();
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
    }

    [Fact]
    public void GrammarReachesTheWholeVocabulary()
    {
        var programs = Generate(seed: 3, count: 4000);
        var statements = programs.SelectMany(p => p.Statements).ToList();
        foreach (var op in Enum.GetValues<Op>())
        {
            Assert.Contains(statements, s => s.Op == op);
        }
        foreach (var info in OpTable.All.Where(i => i.Splittable))
        {
            Assert.Contains(statements, s => s.Op == info.Op && s.Split);
        }
        // Sizes and shapes the memory manager cares about.
        Assert.Contains(statements, s => s.Op == Op.Mmap && s.Args[0].Number == Sizes.Huge && (s.Args[2].Flags & Flag.Hugetlb) != 0);
        Assert.Contains(statements, s => s.Op == Op.Madvise && s.Args[1].Number == Sizes.Huge && s.Args[2].Flags == Flag.HugePage);
        Assert.Contains(statements, s => s.Op == Op.Madvise && s.Args[2].Flags == Flag.PageOut);
        Assert.Contains(statements, s => s.Op == Op.Pin && (s.Args[2].Flags & Flag.LongTerm) != 0);
        Assert.Contains(programs, p => p.Statements.Count(s => s.Op == Op.Fork) >= 2);
        Assert.Contains(programs, p => p.ThreadCount >= 3);
    }

    [Fact]
    public void AddressesComeFromMappingsTheThreadsProcessHolds()
    {
        // A child created by fork inherits its parent's mappings; most address arguments must be usable by the thread.
        var usable = 0;
        var total = 0;
        foreach (var p in Generate(seed: 8, count: 1500))
        {
            var scope = new Scope();
            scope.Reset();
            for (var i = 0; i < p.Statements.Length; i++)
            {
                var s = p.Statements[i];
                var process = scope.Threads[scope.ThreadIndex(s.Thread)].Process;
                for (var k = 0; k < s.Args.Length; k++)
                {
                    if (s.Info.Params[k] == ParamKind.Address && s.Op != Op.ProcessVmReadv)
                    {
                        total++;
                        var r = scope.Resources[scope.ResourceIndex(s.Args[k].Name!)];
                        usable += (r.Holders & (1UL << process)) != 0 ? 1 : 0;
                        Assert.InRange(s.Args[k].Number, 0, r.Length - 1);
                    }
                }
                scope.Apply(s, i);
            }
        }
        Assert.True(usable > total * 8 / 10, $"{usable} of {total} addresses usable by their thread");
    }

    [Fact]
    public void ScopeCountsEachKindOfResourceAsItIsBound()
    {
        // The counts are kept as lines are applied (not scanned): they must match a scan after every line, and start
        // from zero again after a reset, with one scope reused across programs as the mutator reuses its own.
        var scope = new Scope();
        var kinds = Enum.GetValues<ParamKind>();
        foreach (var p in Generate(seed: 9, count: 500))
        {
            scope.Reset();
            for (var i = 0; i < p.Statements.Length; i++)
            {
                scope.Apply(p.Statements[i], i);
                foreach (var kind in kinds)
                {
                    Assert.Equal(scope.Resources.Count(r => r.Kind == kind), scope.CountKind(kind));
                }
            }
        }
        scope.Reset();
        Assert.All(kinds, kind => Assert.Equal(0, scope.CountKind(kind)));
    }

    [Fact]
    public void UffdWpMostlyProtectsARangeRegisteredWithItsUffd()
    {
        // Unregistered ranges only fail with ENOENT: where a registration exists among several mappings, uffd_wp
        // should mostly use it (a blind pick of uffd and mapping matches about a third of the time).
        var registered = 0;
        var total = 0;
        foreach (var p in Generate(seed: 5, count: 6000))
        {
            var seen = new HashSet<(string, string)>();
            var mappings = 0;
            foreach (var s in p.Statements)
            {
                mappings += s.Op == Op.Mmap ? 1 : 0;
                if (s.Op == Op.UffdRegister)
                {
                    seen.Add((s.Args[0].Name!, s.Args[1].Name!));
                }
                else if (s.Op == Op.UffdWp && seen.Count > 0 && mappings >= 2)
                {
                    total++;
                    registered += seen.Contains((s.Args[0].Name!, s.Args[1].Name!)) ? 1 : 0;
                }
            }
        }
        Assert.True(total > 30, $"only {total} uffd_wp calls after a registration among several mappings");
        Assert.True(registered > total * 7 / 10, $"{registered} of {total} uffd_wp calls on a range registered with their uffd");
    }
}
