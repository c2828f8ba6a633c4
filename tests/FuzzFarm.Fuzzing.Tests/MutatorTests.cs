using System.Collections.Immutable;
using System.Runtime.InteropServices;
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
            if (!mutator.MutateOnce(work, CollectionsMarshal.AsSpan(donor)))
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

    [Fact]
    public void InsertingInAWindowLandsBetweenTheSplitOpAndItsWaitOnAnotherThreadMostlyOnItsMapping()
    {
        const string parent = """
            a = mmap(4K, rw, private)
            b = mmap(4K, rw, private)
            t1 = thread()
            t2 = thread()
            t1: store(b, 1)
            w = mprotect(a, 4K, r) &
            t1: store(b, 2)
            wait(w)
            load(b)
            """;
        var rng = new Rng(3);
        var mutator = new Mutator(rng, new Grammar(rng));
        int inserted = 0, onMapping = 0, onFreshThread = 0;
        for (var i = 0; i < 2000; i++)
        {
            var s = Lines(parent);
            if (!mutator.InsertInWindow(s))
            {
                continue;
            }
            inserted++;
            var split = s.FindIndex(x => x.Split && x.Op == Op.Mprotect);
            var wait = s.FindIndex(x => x.Op == Op.Wait && x.Args[0].Name == "w");
            // The window now holds its old line and at least the new one; before it, only a thread made for the race.
            Assert.True(wait - split >= 3, Text(s));
            var fresh = split == 6 && s[5].Op == Op.Thread ? s[5].Binding : null;
            Assert.Equal(fresh is null ? 5 : 6, split);
            var added = s.Skip(split + 1).Take(wait - split - 1).Where(x => x.Op != Op.Wait).ToList();
            // The window's own line (an inserted line may be the same call).
            added.RemoveAt(added.FindIndex(x => x.Thread == "t1" && x.Op == Op.Store && x.Args[0].Name == "b" && x.Args[1].Number == 2));
            Assert.True(added.Count > 0, Text(s));
            Assert.All(added, x => Assert.NotEqual(Statement.MainThread, x.Thread));
            if (fresh is not null)
            {
                Assert.Contains(added, x => x.Thread == fresh);
                onFreshThread++;
            }
            onMapping += added.Any(x => x.Args.Any(arg => arg.Name == "a")) ? 1 : 0;
            Assert.True(ProgramValidator.TryValidate(ImmutableArray<string>.Empty, s, out _, out var error), error?.Message + "\n" + string.Join('\n', s));
        }
        Assert.True(inserted > 1900, $"{inserted} of 2000 insertions");
        Assert.True(onMapping > inserted / 2, $"{onMapping} of {inserted} inserted lines use the window's mapping");
        // A CPU with an empty TLB faults where the others may still go through stale entries.
        Assert.InRange(onFreshThread, inserted / 5, inserted * 2 / 5);
    }

    [Fact]
    public void InsertingInAWindowOftenRunsOnAThreadThatTouchedTheMappingBeforeTheOp()
    {
        // t2 stored to a before the op: its TLB may hold an entry the op leaves stale. t3 only touched b.
        const string parent = """
            a = mmap(4K, rw, private)
            b = mmap(4K, rw, private)
            t1 = thread()
            t2 = thread()
            t3 = thread()
            t2: store(a, 1)
            t3: store(b, 1)
            w = mprotect(a, 4K, r) &
            t1: load(a)
            wait(w)
            """;
        var rng = new Rng(8);
        var mutator = new Mutator(rng, new Grammar(rng));
        int inserted = 0, onWarm = 0, onCold = 0;
        for (var i = 0; i < 2000; i++)
        {
            var s = Lines(parent);
            var before = s.Count;
            if (!mutator.InsertInWindow(s) || s.Count != before + 1)
            {
                continue;
            }
            inserted++;
            var split = s.FindIndex(x => x.Split);
            var wait = s.FindIndex(x => x.Op == Op.Wait);
            var added = s.Skip(split + 1).Take(wait - split - 1).Where(x => !(x.Thread == "t1" && x.Op == Op.Load)).ToList();
            onWarm += added.Count(x => x.Thread == "t2");
            onCold += added.Count(x => x.Thread == "t3");
        }
        Assert.True(inserted > 500, $"{inserted} insertions");
        // Half of the inserts not on a fresh thread go to t2 for its access; the rest share t2 and t3 (and t1, busy).
        Assert.True(onWarm > 2 * onCold, $"{onWarm} on the thread that stored to the mapping, {onCold} on one that did not");
    }

    [Fact]
    public void InsertingInAStoresWindowFavoursAThreadThatStoredToTheMappingOverOneThatOnlyLoaded()
    {
        // A store's window is a COW copy in flight: only a writable stale entry can write the old page, and only a
        // store leaves one. t2 stored to a before the split store; t3 only loaded it.
        const string parent = """
            a = mmap(4K, rw, private)
            t1 = thread()
            t2 = thread()
            t3 = thread()
            t2: store(a, 1)
            t3: load(a)
            c = store(a, 2) &
            wait(c)
            """;
        var rng = new Rng(8);
        var mutator = new Mutator(rng, new Grammar(rng));
        int onWriter = 0, onReader = 0;
        for (var i = 0; i < 2000; i++)
        {
            var s = Lines(parent);
            var before = s.Count;
            if (!mutator.InsertInWindow(s) || s.Count != before + 1)
            {
                continue;
            }
            var split = s.FindIndex(x => x.Split);
            var wait = s.FindIndex(x => x.Op == Op.Wait);
            var added = s.Skip(split + 1).Take(wait - split - 1).ToList();
            onWriter += added.Count(x => x.Thread == "t2");
            onReader += added.Count(x => x.Thread == "t3");
        }
        Assert.True(onWriter > 2 * onReader, $"{onWriter} on the thread that stored, {onReader} on the one that loaded");
    }

    [Fact]
    public void ObservingAProgramAtTheLengthCapPassesTheCapOnlyWhenAllowed()
    {
        var lines = new List<string> { "a = mmap(4K, rw, private)" };
        for (var k = 1; k < Mutator.MaxStatements; k++)
        {
            lines.Add($"store(a+{8 * k}, {k})");
        }
        var rng = new Rng(2);
        var mutator = new Mutator(rng, new Grammar(rng));
        var capped = Lines(string.Join('\n', lines));
        var observed = Lines(string.Join('\n', lines));

        Assert.False(mutator.ObserveWrites(capped, Mutator.MaxStatements));
        Assert.True(mutator.ObserveWrites(observed, Mutator.MaxStatements + Mutator.MaxObservations));
        Assert.Equal(Mutator.MaxStatements + Mutator.MaxObservations, observed.Count);
        Assert.All(observed.Skip(Mutator.MaxStatements), x => Assert.Contains(x.Op, new[] { Op.Load, Op.Pagemap }));
    }

    [Fact]
    public void ObservingWritesLoadsAnOverwrittenWordJustBeforeItsOverwriteAndEveryWrittenWordAtTheEnd()
    {
        const string parent = """
            a = mmap(4K, rw, private)
            t1 = thread()
            store(a, 1)
            t1: store(a+8, 2)
            t1: store(a, 3)
            """;
        var rng = new Rng(5);
        var mutator = new Mutator(rng, new Grammar(rng));
        var s = Lines(parent);

        Assert.True(mutator.ObserveWrites(s, Mutator.MaxStatements));

        // A loss of the first store shows only until the third overwrites it.
        var overwrite = s.FindIndex(x => x.Op == Op.Store && x.Args[1].Number == 3);
        Assert.Equal((Op.Load, "a", 0L), (s[overwrite - 1].Op, s[overwrite - 1].Args[0].Name, s[overwrite - 1].Args[0].Number));
        Assert.Equal(2, s.Take(overwrite).Count(x => x.Op == Op.Store));
        var atEnd = s.Skip(overwrite + 1).Where(x => x.Op == Op.Load).Select(x => x.Args[0].Number).Order();
        Assert.Equal([0L, 8L], atEnd);
        Assert.True(ProgramValidator.TryValidate(ImmutableArray<string>.Empty, s, out _, out var error), error?.Message);
    }

    [Fact]
    public void ObservingWritesLoadsAWordAStoreWroteJustBeforeAMemsetOverIt()
    {
        const string parent = """
            a = mmap(4K, rw, private)
            t1 = thread()
            t1: store(a+16, 2)
            memset(a, 4K, 7)
            """;
        var rng = new Rng(5);
        var mutator = new Mutator(rng, new Grammar(rng));
        var s = Lines(parent);

        Assert.True(mutator.ObserveWrites(s, Mutator.MaxStatements));

        var memset = s.FindIndex(x => x.Op == Op.Memset);
        Assert.Equal((Op.Load, "a", 16L), (s[memset - 1].Op, s[memset - 1].Args[0].Name, s[memset - 1].Args[0].Number));
        Assert.True(ProgramValidator.TryValidate(ImmutableArray<string>.Empty, s, out _, out var error), error?.Message);
    }

    [Fact]
    public void HandingOverASplitOpMovesItWithItsWaitToAThreadIdleThroughItsWindowOrToANewOne()
    {
        const string parent = """
            a = mmap(4K, rw, private)
            u = uffd()
            uffd_register(u, a, 4K)
            t1 = thread()
            t2 = thread()
            t1: store(a, 1)
            t1: w = uffd_wp(u, a, 4K, off) &
            t2: load(a)
            t1: wait(w)
            """;
        var rng = new Rng(3);
        var mutator = new Mutator(rng, new Grammar(rng));
        var to = new HashSet<string>();
        for (var n = 0; n < 100; n++)
        {
            var s = Lines(parent);
            Assert.True(mutator.HandOver(s, 6));
            var op = s.Single(x => x.Op == Op.UffdWp);
            var wait = s.Single(x => x.Op == Op.Wait);
            Assert.Equal(op.Thread, wait.Thread);
            // t1 stays free to act in the window; t2 already does, so it cannot wait there.
            Assert.DoesNotContain(op.Thread, new[] { "t1", "t2" });
            Assert.True(ProgramValidator.TryValidate(ImmutableArray<string>.Empty, s, out _, out var error), error?.Message);
            to.Add(op.Thread == Statement.MainThread ? "main" : s.Count == 10 ? "new" : op.Thread);
        }
        Assert.Equal(["main", "new"], to.Order());
    }

    [Fact]
    public void ChangingAnAccessKeepsItsThreadAndWordAndChangesItsKind()
    {
        const string parent = """
            a = mmap(8K, rw, private)
            t1 = thread()
            t1: load(a+8)
            store(a+4K, 3)
            pagemap(a)
            """;
        var rng = new Rng(4);
        var mutator = new Mutator(rng, new Grammar(rng));
        var seen = new HashSet<(int, Op)>();
        for (var n = 0; n < 300; n++)
        {
            var s = Lines(parent);
            var before = Lines(parent);
            if (!mutator.ChangeAccess(s))
            {
                continue;
            }
            var i = Enumerable.Range(0, s.Count).Single(k => s[k].Op != before[k].Op);
            Assert.InRange(i, 2, 4);
            Assert.NotEqual(before[i].Op, s[i].Op);
            Assert.Equal(before[i].Thread, s[i].Thread);
            Assert.Equal(before[i].Args[0], s[i].Args[0]);
            Assert.True(ProgramValidator.TryValidate(ImmutableArray<string>.Empty, s, out _, out var error), error?.Message);
            seen.Add((i, s[i].Op));
        }
        // Each of the three accesses became each of the other two kinds.
        Assert.Equal(6, seen.Count);
    }
}
