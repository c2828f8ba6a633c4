using System.Collections.Immutable;
using System.Runtime.InteropServices;
using FuzzFarm.Programs;
using Xunit;

namespace FuzzFarm.Fuzzing.Tests;

/// <summary>Validating a mutant against its parent (the fuzzer's path) gives what validating it whole gives.</summary>
public class BasisValidationTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void AMutantValidatedAgainstItsParentMatchesAWholeValidation(bool parsedParent)
    {
        var rng = new Rng(5);
        var grammar = new Grammar(rng);
        var generator = new Generator(rng, grammar);
        var mutator = new Mutator(rng, grammar);
        var generated = new List<Statement>();
        var donor = new List<Statement>();
        var work = new List<Statement>();
        int compared = 0, invalid = 0, replayed = 0;
        for (var i = 0; i < 3000; i++)
        {
            generator.Generate(generated, rng.Between(3, 14));
            generator.Generate(donor, rng.Between(3, 14));
            var parent = ProgramValidator.Validate([], generated);
            if (parsedParent)
            {
                // Parsed text keeps its source lines and columns, and a header shifts them.
                parent = ProgramParser.Parse("# parent\n" + ProgramPrinter.Print(parent));
            }
            work.Clear();
            work.AddRange(parent.Statements);
            for (var m = rng.Between(1, 3); m > 0; m--)
            {
                mutator.MutateOnce(work, CollectionsMarshal.AsSpan(donor));
            }
            var header = parsedParent && rng.Percent(50) ? parent.Header : [];

            var wholeOk = ProgramValidator.TryValidate(header, work, out var whole, out var wholeError);
            var fastOk = ProgramValidator.TryValidate(header, work, parent, out var fast, out var fastError);

            Assert.Equal(wholeOk, fastOk);
            compared++;
            if (!wholeOk)
            {
                invalid++;
                Assert.Equal(wholeError!.Message, fastError!.Message);
                continue;
            }
            Assert.NotNull(whole);
            Assert.NotNull(fast);
            Assert.Equal(Resolved(whole), Resolved(fast));
            Assert.Equal(ProgramPrinter.Print(whole), ProgramPrinter.Print(fast));
            Assert.Equal((whole.SlotCount, whole.ThreadCount, whole.LinesAfterExit), (fast.SlotCount, fast.ThreadCount, fast.LinesAfterExit));
            for (var k = 0; k < fast.Statements.Length; k++)
            {
                // A statement the whole validation kept as it was is kept as it was by the replay too.
                Assert.Equal(ReferenceEquals(whole.Statements[k], work[k]), ReferenceEquals(fast.Statements[k], work[k]));
            }
            replayed += fast.Statements.Length > 0 && ReferenceEquals(fast.Statements[0], parent.Statements[0]) ? 1 : 0;
        }
        Assert.True(invalid > 0 && invalid < compared / 4, $"{invalid} of {compared} mutants invalid");
        Assert.True(replayed > compared / 10, $"{replayed} of {compared} mutants kept their parent's first line");
    }

    /// <summary>
    /// The engine validates mutants without line numbers: a runner reads their positions as lines (the lines they print
    /// at), everything else resolves alike, and the statements an insert only moved are kept instead of re-created.
    /// </summary>
    [Fact]
    public void ALinelessMutantReportsTheSameLinesAndKeepsMovedStatements()
    {
        // Two mutators on one seed make the same mutations: one of numbered programs, one of lineless ones.
        var generatorRng = new Rng(7);
        var generator = new Generator(generatorRng, new Grammar(generatorRng));
        var (numberedRng, linelessRng) = (new Rng(8), new Rng(8));
        var numberedMutator = new Mutator(numberedRng, new Grammar(numberedRng));
        var linelessMutator = new Mutator(linelessRng, new Grammar(linelessRng));
        var generated = new List<Statement>();
        List<Statement> numberedWork = [], linelessWork = [];
        int numberedKept = 0, linelessKept = 0;
        for (var i = 0; i < 2000; i++)
        {
            generator.Generate(generated, generatorRng.Between(3, 14));
            var numberedParent = ProgramValidator.Validate([], generated);
            Assert.True(ProgramValidator.TryValidate([], generated, null, out var linelessParent, out _, lineless: true));
            numberedWork.Clear();
            numberedWork.AddRange(numberedParent.Statements);
            linelessWork.Clear();
            linelessWork.AddRange(linelessParent.Statements);
            Assert.Equal(numberedMutator.MutateOnce(numberedWork, default), linelessMutator.MutateOnce(linelessWork, default));
            var ok = ProgramValidator.TryValidate([], numberedWork, numberedParent, out var numbered, out _);
            Assert.Equal(ok, ProgramValidator.TryValidate([], linelessWork, linelessParent, out var lineless, out _, lineless: true));
            if (!ok)
            {
                continue;
            }
            // A numbered mutant keeps the gaps a removal left; the lineless one reports positions, the printed lines.
            Assert.Equal(Enumerable.Range(1, lineless!.Statements.Length), Enumerable.Range(0, lineless.Statements.Length).Select(lineless.LineOf));
            Assert.NotNull(numbered);
            Assert.Equal(Resolved(numbered, lines: false), Resolved(lineless));
            for (var k = 0; k < numberedWork.Count; k++)
            {
                numberedKept += ReferenceEquals(numbered.Statements[k], numberedWork[k]) ? 1 : 0;
                linelessKept += ReferenceEquals(lineless.Statements[k], linelessWork[k]) ? 1 : 0;
            }
        }
        Assert.True(linelessKept > numberedKept * 11 / 10, $"kept {linelessKept} statements without line numbers, {numberedKept} with");
    }

    /// <summary>Everything validation sets on each line, its slots included (records compare their argument arrays by reference).</summary>
    private static IEnumerable<string> Resolved(Program p, bool lines = true) => p.Statements.Select((s, i) =>
        $"{(lines ? s.Line : 0)}:{s.Column}/{s.BindingColumn}/{s.OpColumn}/{s.SplitColumn} {s.Thread}@{p.Slots[i].Thread} {s.Binding}@{p.Slots[i].Binding} {s.Op} {s.Split} {string.Join(", ", s.Args.Select((a, j) => $"{a}@{p.Slots[i].Arg(s.Info, j)}"))}");
}
