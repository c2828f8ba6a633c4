using System.Collections.Immutable;
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
                mutator.MutateOnce(work, donor);
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
            Assert.Equal(whole!.Statements.Select(Resolved), fast!.Statements.Select(Resolved));
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

    /// <summary>Everything validation sets on a statement (records compare their argument arrays by reference).</summary>
    private static string Resolved(Statement s) =>
        $"{s.Line}:{s.Column}/{s.BindingColumn}/{s.OpColumn}/{s.SplitColumn} {s.Thread}@{s.ThreadSlot} {s.Binding}@{s.BindingSlot} {s.Op} {s.Split} {string.Join(", ", s.Args)}";
}
