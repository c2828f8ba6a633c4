using System.Collections.Immutable;
using FuzzFarm.Programs;
using Xunit;

namespace FuzzFarm.Fuzzing.Tests;

public class MutatorTests
{
    private static List<Statement> Lines(string text) => [.. ProgramParser.Parse(text).Statements];

    private static string Text(List<Statement> s) => ProgramPrinter.Print(ProgramValidator.Validate(ImmutableArray<string>.Empty, s));

    [Fact]
    public void MostMutantsAreValidAndTheyChangeTheProgram()
    {
        var rng = new Rng(21);
        var grammar = new Grammar(rng);
        var generator = new Generator(rng, grammar);
        var mutator = new Mutator(rng, grammar);
        var parent = new List<Statement>();
        var donor = new List<Statement>();
        var work = new List<Statement>();
        int valid = 0, changed = 0, attempted = 0;
        for (var i = 0; i < 5000; i++)
        {
            generator.Generate(parent, rng.Between(3, 14));
            generator.Generate(donor, rng.Between(3, 14));
            work.Clear();
            work.AddRange(parent);
            if (!mutator.MutateOnce(work, donor))
            {
                continue;
            }
            attempted++;
            if (ProgramValidator.TryValidate(ImmutableArray<string>.Empty, work, out var p, out _))
            {
                valid++;
                changed += ProgramPrinter.Print(p) != Text(parent) ? 1 : 0;
            }
        }
        Assert.True(valid > attempted * 85 / 100, $"{valid} of {attempted} mutants valid");
        Assert.True(changed > valid * 9 / 10, $"{changed} of {valid} valid mutants differ from their parent");
    }

    [Fact]
    public void RemovingADefinitionRemovesEverythingThatDependsOnIt()
    {
        var s = Lines("""
            a = mmap(4K, rw, private)
            b = mmap(4K, rw, private)
            t1 = fork()
            t1: p = pipe()
            t1: vmsplice(p, a, 4K)
            store(b, 1)
            t1: read(p, 4K)
            """);
        Mutator.RemoveWithDependents(s, 0);
        Assert.Equal("""
            b = mmap(4K, rw, private)
            t1 = fork()
            t1: p = pipe()
            store(b, 1)
            t1: read(p, 4K)

            """.ReplaceLineEndings("\n"), Text(s));
        Mutator.RemoveWithDependents(s, 1);
        Assert.Equal("b = mmap(4K, rw, private)\nstore(b, 1)\n", Text(s));
    }

    [Fact]
    public void UnsplittingDropsTheWaitAndTheHandle()
    {
        var s = Lines("""
            a = mmap(4K, rw, private)
            t1 = thread()
            w = mprotect(a, 4K, r) &
            t1: store(a, 1)
            wait(w)
            load(a)
            """);
        Assert.True(Mutator.UnsplitWait(s, 4));
        Assert.Equal("a = mmap(4K, rw, private)\nt1 = thread()\nmprotect(a, 4K, r)\nt1: store(a, 1)\nload(a)\n", Text(s));
    }

    [Fact]
    public void FoldingAThreadRunsItsLinesOnItsCreator()
    {
        var s = Lines("""
            a = mmap(4K, rw, private)
            t1 = thread()
            t1: store(a, 1)
            clear_refs(t1)
            t1: load(a)
            """);
        Assert.True(Mutator.FoldThread(s, 1));
        Assert.Equal("a = mmap(4K, rw, private)\nstore(a, 1)\nclear_refs(t0)\nload(a)\n", Text(s));
    }

    [Fact]
    public void CanonicalNamesFollowOrderOfAppearance()
    {
        var s = Lines("""
            x9 = mmap(4K, rw, private)
            data = mmap(2M, rw, private)
            t7 = fork()
            t7: pp = pipe()
            t7: vmsplice(pp, data+4K, 4K)
            io = clear_refs(t7) &
            wait(io)
            """);
        Assert.Equal("""
            a = mmap(4K, rw, private)
            a2 = mmap(2M, rw, private)
            t1 = fork()
            t1: p = pipe()
            t1: vmsplice(p, a2+4K, 4K)
            w = clear_refs(t1) &
            wait(w)

            """.ReplaceLineEndings("\n"), Text(Canonical.Rename(s)));
    }
}
